/* byte_unicode.c — see byte_unicode.h. */
#include "model/tokenizer/byte_unicode.h"

/* Printable Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') map to themselves;
 * the other 68 bytes, in increasing order, to U+0100, U+0101, ...:
 * 0x00..0x20 (33 of them), 0x7F..0xA0 (34), then 0xAD. */
static int is_printable(unsigned b)
{
    return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) ||
           (b >= 0xAE && b <= 0xFF);
}

uint32_t byte_to_unicode(uint8_t b)
{
    if (is_printable(b)) return b;
    if (b <= 0x20) return 256 + b;
    if (b <= 0xA0) return 256 + 33 + (b - 0x7F);
    return 256 + 67; /* 0xAD */
}

int unicode_to_byte(uint32_t c)
{
    if (c < 256) return is_printable(c) ? (int)c : -1;
    uint32_t n = c - 256;
    if (n < 33) return (int)n;
    if (n < 67) return (int)(0x7F + n - 33);
    return n == 67 ? 0xAD : -1;
}
