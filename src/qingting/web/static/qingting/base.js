// Behaviour every page shares. Kept out of the HTML: the Content-Security-Policy allows no inline
// scripts or on…= handlers (docs/web.md, "Content-Security-Policy").
//
// <select data-autosubmit> submits its form when changed; data-autosubmit="here" first points the
// form's "next" field at the page as it is now (the language switch).
document.addEventListener("change", function (event) {
  var el = event.target;
  if (!el || !el.matches || !el.matches("[data-autosubmit]") || !el.form) return;
  if (el.getAttribute("data-autosubmit") === "here" && el.form.elements.next) {
    el.form.elements.next.value = location.pathname + location.search;
  }
  el.form.submit();
});
