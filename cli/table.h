/* table.h — aligned text tables for sluicectl's readable output.
 *
 * A table is a list of columns (heading + alignment) and rows of cells, printed with every
 * column as wide as its widest cell, two spaces between columns, no trailing blanks. Numbers
 * read best right-aligned, names left-aligned. Width counts UTF-8 characters, not bytes, so a
 * port named "vm-ü" does not shift the columns after it.
 *
 * Errors: allocation failures are remembered by the table; table_print() then prints nothing
 * and returns -ENOMEM, so callers check once at the end. Threads: a table belongs to one
 * thread.
 */
#ifndef SLUICE_CLI_TABLE_H
#define SLUICE_CLI_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum table_align {
    TABLE_LEFT,
    TABLE_RIGHT,
};

struct table;

struct table *table_create(void);
void table_destroy(struct table *t);

/* Appends a column; call before the first row. */
void table_add_column(struct table *t, const char *heading, enum table_align align);
/* Starts a new row; the following table_add_cell() calls fill it left to right. Cells never
 * given print as blanks; cells beyond the last column are an error (-EINVAL at print). */
void table_add_row(struct table *t);
void table_add_cell(struct table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

size_t table_n_rows(const struct table *t);

/* Prints the heading line (when `headings`) and the rows, each line prefixed by
 * `indent` (may be NULL). Returns 0, -ENOMEM or -EINVAL (see above). */
int table_print(const struct table *t, FILE *out, const char *indent, bool headings);

/* Display width of a UTF-8 string: the number of characters (continuation bytes do not count). */
size_t table_text_width(const char *s);

#endif
