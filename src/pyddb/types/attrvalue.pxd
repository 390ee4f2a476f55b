# C types for attrvalue.py's item walk (validate_item_sized) when Cython compiles the module: an augmenting
# .pxd, so the .py stays plain Python and runs unchanged where no extension was built. The cdef functions
# below become C functions (not attributes of the compiled module); the cdef variables are C integers.
cimport cython

cdef Py_ssize_t _MAX_DEPTH, _N_DIGITS, _N_MIN_EXPONENT, _N_MAX_EXPONENT
cdef object _isdigit

@cython.locals(total=Py_ssize_t, plain=bint)
cpdef tuple validate_item_sized(item)

cdef Py_ssize_t _names_size(m, Py_ssize_t total, what, Py_ssize_t overhead) except -1

cdef bint _is_ascii(str s) except -1

cdef Py_ssize_t _utf8_size(str s) except -1

@cython.locals(total=Py_ssize_t, n=Py_ssize_t, i=Py_ssize_t, j=Py_ssize_t, plain=bint, m=dict, lst=list)
cdef Py_ssize_t _sized_into(into, key, av, Py_ssize_t depth) except -1

@cython.locals(d=Py_ssize_t, exponent=Py_ssize_t, negative=bint, body=str, ip=str, dot=str, fp=str, lead=str,
               frac=str, text=str)
cdef Py_ssize_t _number_sized(into, key, str v) except -1
