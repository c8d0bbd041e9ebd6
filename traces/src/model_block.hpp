#pragma once
// Layout 3 of compressed blocks (binary format 1.5, traces/README.md "Modelled blocks"), internal to
// traces/: a block's records (rows, as they stand in a file) coded by Coroscope's own binary range
// coder, each decision's probability mixed from context models of the event fields (kind-aware:
// the previous kinds, the last value of the same field for the same kind, what a task last
// suspended on, the ready tasks...) and of the string bytes (orders 0-6 and a match model over the
// string history, primed with a built-in dictionary). Short traces take ~30% fewer bytes than
// with zstd (format 1.4's layout 2); coding costs ~0.5-1 us per event, so writers use it for small
// blocks only.
#include <cstddef>
#include <string>
#include <string_view>

namespace coroscope::traces::binary {

// Codes `rows` (complete records, as the writer made them; any bytes at all are coded exactly, the
// records the models do not describe as raw bytes) with the string model primed by `dictionary`,
// and appends the coded bytes to out.
void model_encode(std::string_view rows, std::string_view dictionary, std::string& out);

// Decodes `coded` into exactly `content_length` bytes of rows (out is replaced; it never grows
// beyond content_length). Returns "" or a one-line reason the coded bytes are damaged.
std::string model_decode(std::string_view coded, std::size_t content_length, std::string_view dictionary,
                         std::string& out);

} // namespace coroscope::traces::binary
