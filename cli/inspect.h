#ifndef OTK_CLI_INSPECT_H
#define OTK_CLI_INSPECT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/* Human-readable rendering of otk_describe_file()'s tree (otk/describe.h). */
void inspect_print_text(FILE *f, const json_t *file, bool verbose);

#endif
