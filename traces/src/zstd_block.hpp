#pragma once
// zstd-compressed blocks of records (binary format 1.2, traces/README.md "Compressed blocks").
// Internal to traces/: the writer batches encoded records into blocks, the decoder inflates them.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace coroscope::traces::binary {

// Compresses a block's content (ordinary records) into one framed block record.
class block_compressor {
public:
    block_compressor();
    ~block_compressor();
    block_compressor(const block_compressor&) = delete;
    block_compressor& operator=(const block_compressor&) = delete;

    // Appends one block record holding `rows` (complete records as they stand in a file) to out:
    // `lead, length, layout, [dictionary id], content length, zstd frame`, compressed against
    // built-in dictionary `dictionary` at zstd_level_small or zstd_level_full depending on the size.
    // Layout 2 (the records column by column) when `by_columns`, else 1; dictionary 0 writes layout 0
    // (rows, no dictionary: what format 1.2-1.3 writers did). With by_columns, a block of up to
    // zstd_small_block bytes becomes layout 3 (modelled, format 1.5) when that is smaller.
    void append_block(std::string_view rows, std::string& out, std::uint64_t dictionary, bool by_columns);

private:
    struct context;
    std::unique_ptr<context> m_context;
    std::string m_scratch; // compressed bytes of the current block (kept to avoid reallocating)
    std::string m_columns; // the current block's records column by column
    std::string m_model;   // the current block modelled (layout 3)
    std::string m_check;   // the modelled block decoded again
};

// Inflates block contents. Its buffer is reused and never larger than max_block_bytes.
class block_decompressor {
public:
    block_decompressor();
    ~block_decompressor();
    block_decompressor(const block_decompressor&) = delete;
    block_decompressor& operator=(const block_decompressor&) = delete;

    // Inflates `frame` (a zstd frame, compressed against raw-content `dictionary` when not empty)
    // which must hold exactly `content_length` bytes (at most max_block_bytes). Returns "" and sets
    // content, or a one-line reason the block is damaged.
    std::string inflate(std::string_view frame, std::size_t content_length, std::string_view dictionary,
                        std::string_view& content);

private:
    struct context;
    std::unique_ptr<context> m_context;
    std::string m_buffer;
};

} // namespace coroscope::traces::binary
