/*
 * demoif.h: a made-up PV protocol for cheader's tests. It exercises what
 * the parser and the layout engine must handle, and compiles with gcc
 * (given <stdint.h> and the Xen scalar typedefs) for the comparison.
 */
#ifndef DEMOIF_H
#define DEMOIF_H

#include "ring.h"
#include "../grant_table.h"

// A line comment, and a macro that spans two lines.
#define DEMO_PAGES    (1U << \
                       2)
#define DEMO_NAME_LEN (DEMO_PAGES * 4 + 0x10)   /* 32 */
#define DEMO_SLOTS    ((DEMO_NAME_LEN >> 2) - 1) /* 7 */

#ifndef demo_handle_t
#define demo_handle_t uint16_t
#endif

typedef uint32_t demo_cookie_t;
typedef uint64_t demo_big_t __attribute__((__aligned__(8)));

/* Operations. */
#define DEMO_OP_OPEN     0
#define DEMO_OP_CLOSE    1
#define DEMO_OP_READ     2
#define DEMO_OP_WRITE    3

/* Status values. */
#define DEMO_STATUS_OK      0
#define DEMO_STATUS_ERROR  (-1)
#define DEMO_STATUS_AGAIN  (-2)

enum demo_state {
    DEMO_STATE_IDLE,
    DEMO_STATE_BUSY = 4,
    DEMO_STATE_DEAD
};

/* A u64 after a u32: 4-aligned on x86_32, 8-aligned elsewhere. */
struct demo_segment {
    grant_ref_t gref;
    uint64_t offset;
    uint16_t len;
};

struct demo_open {
    demo_handle_t handle;
    uint8_t name[DEMO_NAME_LEN];
    uint32_t flags;
#define DEMO_OPEN_RDONLY (1 << 0)
};

struct demo_rw {
    uint64_t sector;
    struct demo_segment seg[DEMO_SLOTS];
};

struct demo_request {
    uint32_t id;
    uint8_t operation;
    uint8_t pad[3];
    union {
        struct demo_open open;
        struct demo_rw rw;
        struct {
            demo_handle_t handle;
            uint8_t force;
        } close;
        uint8_t raw[64];
    } u;
};

struct demo_response {
    uint32_t id;
    int16_t status;
    long cookie;             /* 4 bytes on 32-bit ABIs */
    struct {
        uint32_t lo;
        union {
            uint16_t half[2];
            uint32_t whole;
        };
    } extra;
    unsigned long long total;
};

struct demo_packed {
    uint8_t kind;
    uint32_t value;
    uint16_t tail[2];
} __attribute__((__packed__));

struct demo_aligned {
    uint32_t a;
    uint32_t b __attribute__((__aligned__(8)));
    demo_big_t c;
    evtchn_port_t port;
    domid_t domid;
    enum demo_state state;
};

struct demo_arch {
    uint32_t count;
    uint64_t sum;
#ifdef __i386__
    uint32_t pad32;   /* only on x86_32 */
#endif
#if defined(__x86_64__) || defined(__aarch64__)
    uint32_t pad64;   /* only on the 64-bit ABIs */
#else
    uint16_t pad_other;
#endif
};

struct demo_page {
    RING_IDX prod, cons;
    uint8_t bits[2][3];
    demo_cookie_t cookies[];
};

static inline int demo_valid(const struct demo_request *req)
{
    return req->operation <= DEMO_OP_WRITE;
}

DEMO_UNKNOWN_MACRO(demo, 3);
DEFINE_RING_TYPES(demo, struct demo_request, struct demo_response);

#endif /* DEMOIF_H */
