"""Lists as spreadsheets (xlsx, CSV): search results, an event's items, case queues.

One writer for every list (:func:`qingting.web.exports.writer.export_response`): the filters that
made the list come first, then the header and the rows, read in chunks so memory stays bounded
however long the list is. Every list is read through the owning app's scoped selector.
"""
