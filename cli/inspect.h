#ifndef OTK_CLI_INSPECT_H
#define OTK_CLI_INSPECT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/* Describe one file (module or bundle); *valid says whether all is well. */
json_t *inspect_file(const char *path, bool *valid);
/* Human-readable rendering of inspect_file()'s tree. */
void inspect_print_text(FILE *f, const json_t *file, bool verbose);

#endif
