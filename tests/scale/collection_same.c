/*
 * collection_same — `collection_same A B [TOL]`: exit 0 when the two
 * collections hold the same images (collection_compare), else 1 with the
 * first difference on stderr.  For the shell tests (Slurm).
 */
#include <stdio.h>
#include <stdlib.h>

#include "tests/scale/collection_compare.h"

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: collection_same A B [TOL]\n");
        return 2;
    }
    char why[1024] = "";
    float tol = argc > 3 ? strtof(argv[3], NULL) : 1e-5f;
    int rc = collection_compare(argv[1], argv[2], tol, why, sizeof why);
    if (rc)
        fprintf(stderr, "collections differ: %s\n", why);
    else
        printf("same images and embeddings (tolerance %g)\n", tol);
    return rc ? 1 : 0;
}
