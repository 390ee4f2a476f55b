# C types for size.py's walks when Cython compiles the module (an augmenting .pxd, as attrvalue.pxd: the .py
# stays plain Python). value_size, item_size and number_size stay callable from Python (cpdef).
cimport cython

@cython.locals(negative=bint, point=Py_ssize_t, exponent=Py_ssize_t, body=str, digits=str, fraction=str)
cpdef Py_ssize_t number_size(str text) except -1

cpdef Py_ssize_t number_size_of(Py_ssize_t n, Py_ssize_t exponent, bint negative) except -1

@cython.locals(total=Py_ssize_t, t=str, k=str)
cpdef Py_ssize_t value_size(dict av) except -1

cdef Py_ssize_t _name_size(str name) except -1

@cython.locals(total=Py_ssize_t, name=str)
cpdef Py_ssize_t item_size(dict item) except -1
