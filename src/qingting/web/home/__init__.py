"""Each role's first page (工作台): what needs this person now, read from the other apps' selectors."""
