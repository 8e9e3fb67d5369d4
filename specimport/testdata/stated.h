/*
 * stated.h: a header written for pvczar's tests, in the style of Xen's io
 * headers: its comments state xenstore keys, a protocol version and the
 * version a command came with.
 */
#ifndef __STATED_H__
#define __STATED_H__

#include "ring.h"

#define STATED_PROTOCOL_VERSION "3"

/*
 ******************************************************************************
 *                            Backend XenBus Nodes
 ******************************************************************************
 *
 *-------------------------------- Features ------------------------------------
 *
 * feature-trim
 *      Values:         0/1 (boolean)
 *      Default Value:  0
 *
 *      The backend handles STATED_OP_TRIM. More words follow.
 *
 * max-queues
 *      Values:         <uint32_t>
 *      Default Value:  1
 *
 *      How many queues the backend offers.
 *
 * versions
 *      Values:         <list of uint>
 *
 *      The versions the backend speaks, comma separated.
 *
 ******************************************************************************
 *                            Frontend XenBus Nodes
 ******************************************************************************
 *
 * version
 *      Values:         <uint>
 *
 *      The version the frontend chose among the backend's.
 *
 * ring-ref
 *      Values:         <uint32_t>
 *
 *      The grant of the ring's page.
 *
 * event-channel
 *      Values:         <uint32_t>
 *
 *      The event channel of the ring.
 *
 * label
 *      Values:         <string>
 *      default value:  "none"
 *
 *      A label for people.
 *
 ******************************************************************************
 *                            Requests
 ******************************************************************************
 *
 * not-a-key
 *      Values:         this is prose about requests, after the key sections
 */

#define STATED_OP_READ   0
#define STATED_OP_WRITE  1
/* The below command is available in protocol version 2 and above. */
#define STATED_OP_TRIM   2

struct stated_request {
    uint8_t  operation;
    uint8_t  _pad[3];
    uint32_t id;
    /* Only in version 3: the flags of the request. */
    uint32_t flags;
    uint32_t reserved;
};

struct stated_response {
    uint32_t id;
    int16_t  status;
    uint16_t rsvd1;
};

DEFINE_RING_TYPES(stated, struct stated_request, struct stated_response);

struct stated_page {
    uint32_t in_cons, in_prod;
    uint8_t  in[256];
};

union stated_any {
    uint32_t word;
    uint8_t  bytes[4];
};

#endif
