# C layout for protocol.py's HttpReader when Cython compiles the module: an augmenting .pxd, so the .py stays
# plain Python and runs unchanged where no extension was built. Compiled, HttpReader is an extension type
# whose per-connection fields are members of its C struct: the parser callbacks and the request loop read and
# write them directly instead of through Python attribute lookups, some 75 a request (a GetItem through
# data_received without sockets: 10.2 -> 8.9 us). app.HttpConnection adds slots only for what is not here.
cdef class HttpReader:
    cdef public object parser, transport, queue, peer, handler, server, loop
    cdef public object _url, _raw, _headers, _body
    cdef public list _pending
    cdef public bint busy, closed, paused, wpaused, _discard, _eof, _expect
    cdef public double last
    cdef public Py_ssize_t _body_len, _head_len
