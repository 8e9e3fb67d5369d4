/*
 * blkif.h: a test fixture standing for a block protocol header.
 * The disk naming rules are in docs/misc/blkif-names.txt (a file the
 * tree lacks), and the ring in ring.h.
 */
#include "ring.h"
#include "../grant_table.h"
struct blkif_request { int id; };
