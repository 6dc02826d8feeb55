#define _GNU_SOURCE /* vasprintf */
#include "cli/table.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct table_column {
    char *heading;
    enum table_align align;
};

struct table_row {
    char **cells; /* n_cells entries, each malloc'ed */
    size_t n_cells;
};

struct table {
    struct table_column *cols;
    size_t n_cols;
    struct table_row *rows;
    size_t n_rows;
    int error; /* first failure, reported by table_print() */
};

struct table *table_create(void)
{
    return calloc(1, sizeof(struct table));
}

void table_destroy(struct table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_cols; i++)
        free(t->cols[i].heading);
    for (size_t r = 0; r < t->n_rows; r++) {
        for (size_t c = 0; c < t->rows[r].n_cells; c++)
            free(t->rows[r].cells[c]);
        free(t->rows[r].cells);
    }
    free(t->cols);
    free(t->rows);
    free(t);
}

static void table_fail(struct table *t, int error)
{
    if (!t->error)
        t->error = error;
}

void table_add_column(struct table *t, const char *heading, enum table_align align)
{
    if (t->n_rows > 0) {
        table_fail(t, -EINVAL);
        return;
    }
    struct table_column *cols = realloc(t->cols, (t->n_cols + 1) * sizeof(*cols));
    char *h = strdup(heading);
    if (!cols || !h) {
        if (cols)
            t->cols = cols;
        free(h);
        table_fail(t, -ENOMEM);
        return;
    }
    t->cols = cols;
    t->cols[t->n_cols++] = (struct table_column){.heading = h, .align = align};
}

void table_add_row(struct table *t)
{
    struct table_row *rows = realloc(t->rows, (t->n_rows + 1) * sizeof(*rows));
    if (!rows) {
        table_fail(t, -ENOMEM);
        return;
    }
    t->rows = rows;
    t->rows[t->n_rows++] = (struct table_row){0};
}

void table_add_cell(struct table *t, const char *fmt, ...)
{
    if (t->n_rows == 0) {
        table_fail(t, -EINVAL);
        return;
    }
    struct table_row *row = &t->rows[t->n_rows - 1];
    if (row->n_cells >= t->n_cols) {
        table_fail(t, -EINVAL);
        return;
    }
    char **cells = realloc(row->cells, (row->n_cells + 1) * sizeof(*cells));
    if (!cells) {
        table_fail(t, -ENOMEM);
        return;
    }
    row->cells = cells;
    va_list ap;
    va_start(ap, fmt);
    char *text;
    int n = vasprintf(&text, fmt, ap);
    va_end(ap);
    if (n < 0) {
        table_fail(t, -ENOMEM);
        return;
    }
    row->cells[row->n_cells++] = text;
}

size_t table_n_rows(const struct table *t)
{
    return t->n_rows;
}

size_t table_text_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            w++;
    return w;
}

static void print_cell(FILE *out, const char *text, size_t width, enum table_align align,
                       bool last)
{
    size_t pad = width - table_text_width(text);
    if (align == TABLE_RIGHT)
        fprintf(out, "%*s%s", (int)pad, "", text);
    else if (last) /* no trailing blanks */
        fputs(text, out);
    else
        fprintf(out, "%s%*s", text, (int)pad, "");
}

int table_print(const struct table *t, FILE *out, const char *indent, bool headings)
{
    if (t->error)
        return t->error;
    size_t *width = calloc(t->n_cols ? t->n_cols : 1, sizeof(*width));
    if (!width)
        return -ENOMEM;
    for (size_t c = 0; c < t->n_cols; c++) {
        if (headings)
            width[c] = table_text_width(t->cols[c].heading);
        for (size_t r = 0; r < t->n_rows; r++)
            if (c < t->rows[r].n_cells && table_text_width(t->rows[r].cells[c]) > width[c])
                width[c] = table_text_width(t->rows[r].cells[c]);
    }
    /* A trailing run of blank cells would only leave trailing spaces: each line ends at its
     * last cell with text. */
    for (size_t r = headings ? 0 : 1; r <= t->n_rows; r++) {
        const struct table_row *row = r ? &t->rows[r - 1] : NULL;
        size_t last = t->n_cols;
        while (last > 0) {
            const char *text = row ? (last - 1 < row->n_cells ? row->cells[last - 1] : "")
                                   : t->cols[last - 1].heading;
            if (*text)
                break;
            last--;
        }
        if (last > 0 && indent)
            fputs(indent, out);
        for (size_t c = 0; c < last; c++) {
            const char *text = row ? (c < row->n_cells ? row->cells[c] : "") : t->cols[c].heading;
            if (c > 0)
                fputs("  ", out);
            print_cell(out, text, width[c], t->cols[c].align, c + 1 == last);
        }
        fputc('\n', out);
    }
    free(width);
    return 0;
}
