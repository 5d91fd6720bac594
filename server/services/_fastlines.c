/* The ingest fast path's inner loop, compiled: server/services/ingest_check.py, ``fast_lines``.
 *
 * ``fast_lines`` in ingest_check.py is the definition; this is the same function, line for
 * line, without the interpreter's cost per operation (about a tenth of the time: see
 * docs/performance.md, "Ingest"). tests/server/test_ingest_check.py holds the two to the same
 * results on generated hostile input, and the build is optional: without a compiler the
 * Python version runs.
 *
 * fast_lines(lines, start, heads, oldest_ns, newest_ns, max_fields, first_number, entries,
 *            numbers) -> int
 *
 * From ``lines[start]`` on, a line is taken when it holds no backslash and no double quote,
 * splits on single spaces into exactly a head, a field set and a timestamp, its head is a key
 * of ``heads`` (bytes -> Head), its field set is ``key=number`` pairs (at most ``max_fields``)
 * whose keys are in ``head.field_keys`` and whose numbers match ingest_check._VALUE, and its
 * timestamp is ASCII digits whose value lies in [oldest_ns, newest_ns]. A taken line appends
 * ``(head, stamped line)`` to ``entries`` and ``first_number + index`` to ``numbers``; the
 * stamped line is ``head.stamped``, the field set with the integer suffixes (``i``, ``u``)
 * dropped, and the timestamp, separated by spaces. The first line not taken ends the loop:
 * its index is returned (``len(lines)`` when all were taken), and the caller decides about it.
 *
 * Every read stays inside the line's own buffer; nothing here keeps a pointer past the call.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

static PyObject *name_stamped;
static PyObject *name_field_keys;
static PyObject *name_checked_keys;

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Digits from *p, at most ``max`` of them and at least one; advances *p. 0 if that fails. */
static int take_digits(const char **p, const char *end, int max)
{
    int count = 0;
    while (*p < end && is_digit(**p)) {
        (*p)++;
        if (++count > max) {
            return 0;
        }
    }
    return count > 0;
}

/* One number as ingest_check._VALUE reads it:
 * -?\d{1,20}(?:[iu]|(?:\.\d{1,40})?(?:[eE][-+]?\d{1,2})?)
 * ending at ``end`` or a comma. Returns the position after the number and sets *suffix when it
 * ends in i or u; NULL when the text there is not such a number. */
static const char *take_value(const char *p, const char *end, int *suffix)
{
    *suffix = 0;
    if (p < end && *p == '-') {
        p++;
    }
    if (!take_digits(&p, end, 20)) {
        return NULL;
    }
    if (p < end && (*p == 'i' || *p == 'u')) {
        *suffix = 1;
        p++;
    } else {
        if (p < end && *p == '.') {
            p++;
            if (!take_digits(&p, end, 40)) {
                return NULL;
            }
        }
        if (p < end && (*p == 'e' || *p == 'E')) {
            p++;
            if (p < end && (*p == '-' || *p == '+')) {
                p++;
            }
            if (!take_digits(&p, end, 2)) {
                return NULL;
            }
        }
    }
    if (p < end && *p != ',') {
        return NULL;
    }
    return p;
}

/* Checks a field set against the head's keys; counts the integer suffixes to drop.
 * ``memo`` is the head's checked_keys (the keys of a field set already found valid, each
 * followed by '='): while this field set's keys are the same, they need no set look-up.
 * 1: valid; 0: not (the strict path decides); -1: a Python error is set. *matched_memo tells
 * whether the keys were exactly the memo's. */
static int check_fields(const char *p, const char *end, PyObject *keys, const char *memo, Py_ssize_t memo_size,
                        Py_ssize_t max_fields, Py_ssize_t *suffixes, int *matched_memo)
{
    Py_ssize_t pairs = 0;
    Py_ssize_t memo_at = 0; /* how much of the memo the keys so far matched; -1: they left it */
    *suffixes = 0;
    *matched_memo = 0;
    for (;;) {
        const char *key = p;
        const char *equals = memchr(p, '=', (size_t)(end - p));
        if (equals == NULL || equals == key) {
            return 0;
        }
        if (memchr(key, ',', (size_t)(equals - key)) != NULL) {
            return 0;
        }
        if (++pairs > max_fields) {
            return 0;
        }
        Py_ssize_t key_size = equals - key;
        if (memo_at >= 0 && memo_at + key_size < memo_size && memcmp(memo + memo_at, key, (size_t)key_size) == 0 &&
            memo[memo_at + key_size] == '=') {
            memo_at += key_size + 1;
        } else {
            memo_at = -1;
            PyObject *name = PyBytes_FromStringAndSize(key, key_size);
            if (name == NULL) {
                return -1;
            }
            int known = PySet_Contains(keys, name);
            Py_DECREF(name);
            if (known <= 0) {
                return known;
            }
        }
        int suffix;
        p = take_value(equals + 1, end, &suffix);
        if (p == NULL) {
            return 0;
        }
        *suffixes += suffix;
        if (p == end) {
            *matched_memo = memo_at == memo_size;
            return 1;
        }
        p++; /* the comma before the next pair */
    }
}

/* The keys of a valid field set, each followed by '=': the head's next memo. */
static PyObject *keys_of(const char *p, const char *end)
{
    PyObject *out = PyBytes_FromStringAndSize(NULL, end - p);
    if (out == NULL) {
        return NULL;
    }
    char *w = PyBytes_AS_STRING(out);
    int in_key = 1;
    for (; p < end; p++) {
        if (in_key) {
            *w++ = *p;
            in_key = *p != '=';
        } else if (*p == ',') {
            in_key = 1;
        }
    }
    if (_PyBytes_Resize(&out, w - PyBytes_AS_STRING(out)) < 0) {
        return NULL;
    }
    return out;
}

/* The timestamp's value, if it is 1 or more ASCII digits within [oldest, newest]. */
static int stamp_in_range(const char *p, const char *end, long long oldest, long long newest)
{
    if (p == end) {
        return 0;
    }
    for (const char *q = p; q < end; q++) {
        if (!is_digit(*q)) {
            return 0;
        }
    }
    while (p < end - 1 && *p == '0') {
        p++;
    }
    if (end - p > 19) {
        return 0; /* at least 10**19: past any int64 bound */
    }
    unsigned long long value = 0;
    for (; p < end; p++) {
        value = value * 10 + (unsigned long long)(*p - '0');
    }
    if (value > (unsigned long long)LLONG_MAX) {
        return 0;
    }
    return (long long)value >= oldest && (long long)value <= newest;
}

/* The stamped line: head.stamped, a space, the fields without integer suffixes, the stamp. */
static PyObject *stamped_line(PyObject *stamped, const char *fields, const char *fields_end, Py_ssize_t suffixes,
                              const char *line_end)
{
    Py_ssize_t head_size = PyBytes_GET_SIZE(stamped);
    Py_ssize_t size = head_size + (line_end - fields) - suffixes + 1;
    PyObject *out = PyBytes_FromStringAndSize(NULL, size);
    if (out == NULL) {
        return NULL;
    }
    char *w = PyBytes_AS_STRING(out);
    memcpy(w, PyBytes_AS_STRING(stamped), (size_t)head_size);
    w += head_size;
    *w++ = ' ';
    if (suffixes == 0) {
        memcpy(w, fields, (size_t)(line_end - fields));
        return out;
    }
    /* The field set was checked: an i or u followed by a comma or the end is a suffix. */
    const char *limit = PyBytes_AS_STRING(out) + size - (line_end - fields_end);
    for (const char *r = fields; r < fields_end; r++) {
        if ((*r == 'i' || *r == 'u') && (r + 1 == fields_end || r[1] == ',')) {
            continue;
        }
        if (w == limit) {
            goto miscounted;
        }
        *w++ = *r;
    }
    if (w != limit) {
        goto miscounted;
    }
    memcpy(w, fields_end, (size_t)(line_end - fields_end));
    return out;
miscounted: /* cannot happen for a checked field set; never write past the buffer */
    Py_DECREF(out);
    PyErr_SetString(PyExc_SystemError, "fast_lines: integer suffixes miscounted");
    return NULL;
}

/* 1: the line was taken and appended; 0: not taken; -1: a Python error is set. */
static int take_line(PyObject *raw, PyObject *heads, long long oldest, long long newest, Py_ssize_t max_fields,
                     PyObject *number, PyObject *entries, PyObject *numbers)
{
    const char *line = PyBytes_AS_STRING(raw);
    Py_ssize_t size = PyBytes_GET_SIZE(raw);
    const char *end = line + size;
    if (memchr(line, '\\', (size_t)size) != NULL || memchr(line, '"', (size_t)size) != NULL) {
        return 0;
    }
    const char *space1 = memchr(line, ' ', (size_t)size);
    if (space1 == NULL) {
        return 0;
    }
    const char *fields = space1 + 1;
    const char *space2 = memchr(fields, ' ', (size_t)(end - fields));
    if (space2 == NULL) {
        return 0;
    }
    const char *stamp = space2 + 1;
    if (memchr(stamp, ' ', (size_t)(end - stamp)) != NULL) {
        return 0;
    }
    if (!stamp_in_range(stamp, end, oldest, newest)) {
        return 0;
    }
    PyObject *key = PyBytes_FromStringAndSize(line, space1 - line);
    if (key == NULL) {
        return -1;
    }
    PyObject *head = PyDict_GetItemWithError(heads, key); /* borrowed */
    Py_DECREF(key);
    if (head == NULL) {
        return PyErr_Occurred() ? -1 : 0;
    }
    Py_INCREF(head);
    int result = -1;
    PyObject *field_keys = NULL, *memo = NULL, *stamped = NULL, *out = NULL, *entry = NULL;
    field_keys = PyObject_GetAttr(head, name_field_keys);
    if (field_keys == NULL) {
        goto done;
    }
    if (!PyAnySet_Check(field_keys)) {
        PyErr_SetString(PyExc_TypeError, "head.field_keys must be a set of bytes");
        goto done;
    }
    memo = PyObject_GetAttr(head, name_checked_keys);
    if (memo == NULL) {
        goto done;
    }
    if (!PyBytes_Check(memo)) {
        PyErr_SetString(PyExc_TypeError, "head.checked_keys must be bytes");
        goto done;
    }
    Py_ssize_t suffixes;
    int matched_memo;
    int valid = check_fields(fields, space2, field_keys, PyBytes_AS_STRING(memo), PyBytes_GET_SIZE(memo), max_fields,
                             &suffixes, &matched_memo);
    if (valid <= 0) {
        result = valid;
        goto done;
    }
    if (!matched_memo) {
        PyObject *keys = keys_of(fields, space2);
        if (keys == NULL) {
            goto done;
        }
        int set = PyObject_SetAttr(head, name_checked_keys, keys);
        Py_DECREF(keys);
        if (set < 0) {
            goto done;
        }
    }
    stamped = PyObject_GetAttr(head, name_stamped);
    if (stamped == NULL) {
        goto done;
    }
    if (!PyBytes_Check(stamped)) {
        PyErr_SetString(PyExc_TypeError, "head.stamped must be bytes");
        goto done;
    }
    out = stamped_line(stamped, fields, space2, suffixes, end);
    if (out == NULL) {
        goto done;
    }
    entry = PyTuple_Pack(2, head, out);
    if (entry == NULL || PyList_Append(entries, entry) < 0 || PyList_Append(numbers, number) < 0) {
        goto done;
    }
    result = 1;
done:
    Py_XDECREF(entry);
    Py_XDECREF(out);
    Py_XDECREF(stamped);
    Py_XDECREF(memo);
    Py_XDECREF(field_keys);
    Py_DECREF(head);
    return result;
}

static PyObject *fast_lines(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *lines, *heads, *entries, *numbers;
    Py_ssize_t start, max_fields, first_number;
    long long oldest, newest;
    if (!PyArg_ParseTuple(args, "O!nO!LLnnO!O!:fast_lines", &PyList_Type, &lines, &start, &PyDict_Type, &heads,
                          &oldest, &newest, &max_fields, &first_number, &PyList_Type, &entries, &PyList_Type,
                          &numbers)) {
        return NULL;
    }
    if (start < 0) {
        PyErr_SetString(PyExc_ValueError, "start must not be negative");
        return NULL;
    }
    Py_ssize_t index = start < PyList_GET_SIZE(lines) ? start : PyList_GET_SIZE(lines);
    for (; index < PyList_GET_SIZE(lines); index++) {
        PyObject *raw = PyList_GET_ITEM(lines, index); /* borrowed; the list is not changed here */
        if (!PyBytes_Check(raw)) {
            PyErr_SetString(PyExc_TypeError, "lines must be bytes");
            return NULL;
        }
        Py_INCREF(raw);
        PyObject *number = PyLong_FromSsize_t(first_number + index);
        if (number == NULL) {
            Py_DECREF(raw);
            return NULL;
        }
        int taken = take_line(raw, heads, oldest, newest, max_fields, number, entries, numbers);
        Py_DECREF(number);
        Py_DECREF(raw);
        if (taken < 0) {
            return NULL;
        }
        if (taken == 0) {
            break;
        }
    }
    return PyLong_FromSsize_t(index);
}

static PyMethodDef methods[] = {
    {"fast_lines", fast_lines, METH_VARARGS, "The fast path over lines[start:]; see ingest_check.fast_lines."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_fastlines", "The ingest fast path's inner loop (see ingest_check.py).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__fastlines(void)
{
    name_stamped = PyUnicode_InternFromString("stamped");
    name_field_keys = PyUnicode_InternFromString("field_keys");
    name_checked_keys = PyUnicode_InternFromString("checked_keys");
    if (name_stamped == NULL || name_field_keys == NULL || name_checked_keys == NULL) {
        return NULL;
    }
    return PyModule_Create(&module_def);
}
