/* tsv.c - read a tshark truth file: `-T fields -E header=y -E separator=/t`
 * output, one header line of field names, then one line per frame.  Empty
 * cells are fields tshark did not find; cells with several values are
 * comma-joined (`-E occurrence=a -E aggregator=,`).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

static char *read_all(const char *path, char *msg, size_t msglen)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		snprintf(msg, msglen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (cap - len < 4096) {
			char *p = realloc(text, cap ? cap * 2 : 65536);

			if (!p) {
				snprintf(msg, msglen, "%s: out of memory", path);
				free(text);
				fclose(f);
				return NULL;
			}
			text = p;
			cap = cap ? cap * 2 : 65536;
		}
		n = fread(text + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(msg, msglen, "%s: read error", path);
		free(text);
		fclose(f);
		return NULL;
	}
	fclose(f);
	text[len] = '\0';
	if (strlen(text) != len) {
		snprintf(msg, msglen, "%s: NUL byte in a text file", path);
		free(text);
		return NULL;
	}
	return text;
}

/* Split `line` in place on tabs into at most `max` cells; returns the
 * number of cells, or max + 1 if there are more. */
static size_t split_tabs(char *line, char **cells, size_t max)
{
	size_t n = 0;
	char *p = line;

	for (;;) {
		char *tab = strchr(p, '\t');

		if (n == max)
			return max + 1;
		cells[n++] = p;
		if (!tab)
			return n;
		*tab = '\0';
		p = tab + 1;
	}
}

static size_t count_tabs(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\t';
	return n;
}

int tsv_load(const char *path, struct tsv *t, char *msg, size_t msglen)
{
	char *p, *line;
	size_t nlines = 0, cap_rows;

	memset(t, 0, sizeof(*t));
	t->text = read_all(path, msg, msglen);
	if (!t->text)
		return -1;
	for (p = t->text; *p; p++)
		nlines += *p == '\n';
	cap_rows = nlines + 1;

	/* Header */
	p = t->text;
	line = p;
	p = strchr(line, '\n');
	if (!p) {
		snprintf(msg, msglen, "%s: no header line", path);
		goto fail;
	}
	*p++ = '\0';
	t->ncols = count_tabs(line) + 1;
	t->header = calloc(t->ncols, sizeof(*t->header));
	t->rows = calloc(cap_rows, sizeof(*t->rows));
	if (!t->header || !t->rows) {
		snprintf(msg, msglen, "%s: out of memory", path);
		goto fail;
	}
	split_tabs(line, t->header, t->ncols);

	while (*p) {
		char **cells;
		size_t n;

		line = p;
		p = strchr(line, '\n');
		if (p)
			*p++ = '\0';
		else
			p = line + strlen(line);
		cells = calloc(t->ncols, sizeof(*cells));
		if (!cells) {
			snprintf(msg, msglen, "%s: out of memory", path);
			goto fail;
		}
		t->rows[t->nrows++] = cells;
		n = split_tabs(line, cells, t->ncols);
		if (n != t->ncols) {
			snprintf(msg, msglen, "%s: row %zu has %s cells than the header (%zu)",
				 path, t->nrows, n > t->ncols ? "more" : "fewer", t->ncols);
			goto fail;
		}
	}
	return 0;
fail:
	tsv_free(t);
	return -1;
}

void tsv_free(struct tsv *t)
{
	if (t->rows) {
		for (size_t i = 0; i < t->nrows; i++)
			free(t->rows[i]);
	}
	free(t->rows);
	free(t->header);
	free(t->text);
	memset(t, 0, sizeof(*t));
}

int tsv_col(const struct tsv *t, const char *name)
{
	for (size_t i = 0; i < t->ncols; i++) {
		if (strcmp(t->header[i], name) == 0)
			return (int)i;
	}
	return -1;
}
