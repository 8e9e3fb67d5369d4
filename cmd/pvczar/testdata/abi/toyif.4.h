/* toyif.h: a test header for pvczar, with a bit-field. */
struct toyif_request {
    uint32_t request_id;
    uint8_t  operation:4;
};
