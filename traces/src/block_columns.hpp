#pragma once
// The columns layout of a zstd block's content (binary format 1.4, traces/README.md "Compressed
// blocks"), internal to traces/. The same records as the rows layout (records as they stand in a
// file), reordered so that like values sit together, which zstd compresses better: first every
// record with its event fields taken out (the *lead stream*), then each event field's values, one
// column per (field, event kind). The transform is exact both ways.
#include <string>
#include <string_view>

namespace coroscope::traces::binary {

// Rows (complete, well-formed records, as the writer made them) to the columns layout, appended to
// out. Records the writer did not make (a damaged lead) cannot occur: it encoded them itself.
void rows_to_columns(std::string_view rows, std::string& out);

// The columns layout back to rows (out is replaced). Returns "" or a one-line reason the content is
// damaged, naming the content byte where it was found. out never exceeds content's size.
std::string columns_to_rows(std::string_view content, std::string& out);

} // namespace coroscope::traces::binary
