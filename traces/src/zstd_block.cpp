#include "zstd_block.hpp"
#include "block_columns.hpp"
#include "dictionary.hpp"
#include "model_block.hpp"

#include <coroscope/traces/binary.hpp>

// The magicless frame format (ZSTD_f_zstd1_magicless) is in zstd's experimental API; libzstd 1.5
// (Debian 12) has it. It saves 4 bytes per block, which matters for short traces.
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include <cstdlib>

namespace coroscope::traces::binary {

struct block_compressor::context {
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    ~context() { ZSTD_freeCCtx(cctx); }
};

block_compressor::block_compressor() : m_context(std::make_unique<context>()) {
    if (!m_context->cctx) std::abort(); // out of memory: nothing sensible to record into
    // The block record already says the content's size: the frame neither repeats it nor its magic.
    ZSTD_CCtx_setParameter(m_context->cctx, ZSTD_c_contentSizeFlag, 0);
    ZSTD_CCtx_setParameter(m_context->cctx, ZSTD_c_format, ZSTD_f_zstd1_magicless);
    // 4 bytes per block: a damaged block is refused instead of inflating to plausible wrong records.
    ZSTD_CCtx_setParameter(m_context->cctx, ZSTD_c_checksumFlag, 1);
}

block_compressor::~block_compressor() = default;

void block_compressor::append_block(std::string_view rows, std::string& out, std::uint64_t dictionary,
                                    bool by_columns) {
    const std::string_view dict = builtin_dictionary(dictionary);
    std::string_view content = rows;
    std::uint64_t layout = dict.empty() ? block_layout_records : block_layout_dictionary;
    if (by_columns && !dict.empty()) {
        m_columns.clear();
        rows_to_columns(rows, m_columns);
        // A block of nearly 1 MiB of records (a huge string) may not fit as columns: rows then.
        if (m_columns.size() <= max_block_bytes) {
            content = m_columns;
            layout = block_layout_columns;
        }
    }
    const bool small = rows.size() <= zstd_small_block;
    ZSTD_CCtx_setParameter(m_context->cctx, ZSTD_c_compressionLevel,
                           content.size() <= zstd_small_block ? zstd_level_small : zstd_level_full);
    // A prefix holds for one frame only, so it is given again for each block; zstd indexes its few
    // KiB per block, which is small next to compressing the block.
    if (!dict.empty() && ZSTD_isError(ZSTD_CCtx_refPrefix_advanced(m_context->cctx, dict.data(), dict.size(),
                                                                     ZSTD_dct_rawContent)))
        std::abort(); // only fails for a bad parameter
    m_scratch.resize(ZSTD_compressBound(content.size()));
    std::size_t n = ZSTD_compress2(m_context->cctx, m_scratch.data(), m_scratch.size(), content.data(), content.size());
    if (ZSTD_isError(n)) std::abort(); // cannot happen with a ZSTD_compressBound buffer
    m_scratch.resize(n);
    // A small block (a short trace, a flush) is also modelled (layout 3), which costs ~1 us per event
    // and saves ~30% on short runs; the smaller one is written. The modelled bytes are decoded again
    // first: a block the decoder would not turn back into exactly these rows is never written.
    if (small && !dict.empty() && by_columns) {
        m_model.clear();
        model_encode(rows, dict, m_model);
        if (m_model.size() < n && model_decode(m_model, rows.size(), dict, m_check).empty() && m_check == rows) {
            m_scratch.swap(m_model);
            layout = block_layout_model;
            content = rows;
            n = m_scratch.size();
        }
    }
    std::string head;
    put_varint(head, layout);
    if (layout != block_layout_records) put_varint(head, dictionary);
    put_varint(head, content.size());
    put_varint(out, framed_kind | (record_zstd_block << kind_bits));
    put_varint(out, head.size() + n);
    out += head;
    out.append(m_scratch.data(), n);
}

struct block_decompressor::context {
    ZSTD_DCtx* dctx = ZSTD_createDCtx();
    ~context() { ZSTD_freeDCtx(dctx); }
};

block_decompressor::block_decompressor() : m_context(std::make_unique<context>()) {
    if (!m_context->dctx) std::abort();
    ZSTD_DCtx_setParameter(m_context->dctx, ZSTD_d_format, ZSTD_f_zstd1_magicless);
}

block_decompressor::~block_decompressor() = default;

std::string block_decompressor::inflate(std::string_view frame, std::size_t content_length, std::string_view dictionary,
                                        std::string_view& content) {
    // The output buffer is exactly the block's declared size (at most max_block_bytes): a frame that
    // would inflate to more fails with "destination buffer too small", one that inflates to less is
    // caught below.
    ZSTD_frameHeader fh{};
    std::size_t h = ZSTD_getFrameHeader_advanced(&fh, frame.data(), frame.size(), ZSTD_f_zstd1_magicless);
    if (ZSTD_isError(h) || h != 0) return "field 'frame' is not a zstd frame (magicless) or is cut";
    if (fh.frameContentSize != ZSTD_CONTENTSIZE_UNKNOWN && fh.frameContentSize != content_length)
        return "field 'frame' declares " + std::to_string(fh.frameContentSize) + " bytes, not the block's " +
               std::to_string(content_length);
    if (m_buffer.size() < content_length) m_buffer.resize(content_length);
    // A damaged block may have left its prefix referenced: each block starts from a clean session.
    ZSTD_DCtx_reset(m_context->dctx, ZSTD_reset_session_only);
    if (!dictionary.empty() && ZSTD_isError(ZSTD_DCtx_refPrefix_advanced(m_context->dctx, dictionary.data(),
                                                                         dictionary.size(), ZSTD_dct_rawContent)))
        return "its dictionary cannot be used"; // not expected: a built-in raw-content prefix
    std::size_t n = ZSTD_decompressDCtx(m_context->dctx, m_buffer.data(), content_length, frame.data(), frame.size());
    if (ZSTD_isError(n)) return std::string("field 'frame' is damaged (zstd: ") + ZSTD_getErrorName(n) + ")";
    if (n != content_length)
        return "field 'frame' inflates to " + std::to_string(n) + " bytes, not the block's " + std::to_string(content_length);
    content = std::string_view(m_buffer.data(), n);
    return {};
}

} // namespace coroscope::traces::binary
