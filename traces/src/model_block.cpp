#include "model_block.hpp"
#include "varint.hpp"

#include <coroscope/traces/binary.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>
#include <vector>

// Every name and constant below is part of the format: traces/README.md "Modelled blocks" states
// each one so that a second decoder can be written from the text. Changing any of them changes the
// coded bytes and needs a new layout number.

namespace coroscope::traces::binary {

namespace {

// ---- probabilities: 12-bit in the coder, 16-bit in the counters, "stretch" = ln(p / (1 - p)) * 256.

constexpr std::array<int, 33> squash_points = {1,    2,    4,    6,    10,   17,   27,   45,   74,   120,  194,
                                               311,  488,  747,  1102, 1546, 2048, 2550, 2994, 3349, 3608, 3785,
                                               3902, 3976, 4022, 4051, 4069, 4079, 4086, 4090, 4092, 4094, 4095};

// 4096 / (1 + e^(-d/256)), interpolated between the points above (d clamped to +-2047).
int squash(int d) {
    d = std::clamp(d, -2047, 2047);
    const int w = d & 127, i = (d >> 7) + 16;
    return (squash_points[static_cast<std::size_t>(i)] * (128 - w) + squash_points[static_cast<std::size_t>(i) + 1] * w +
            64) >> 7;
}

struct stretch_table {
    std::array<std::int16_t, 4096> v{};
    stretch_table() {
        int next = 0; // the inverse of squash: the smallest d with squash(d) >= p
        for (int d = -2047; d <= 2047; ++d)
            for (int s = squash(d); next <= s; ++next) v[static_cast<std::size_t>(next)] = static_cast<std::int16_t>(d);
        for (; next < 4096; ++next) v[static_cast<std::size_t>(next)] = 2047;
    }
};
const stretch_table stretch_of;
int stretch(int p12) { return stretch_of.v[static_cast<std::size_t>(p12)]; }

// ---- the binary range coder (LZMA's: 32-bit range, carry propagated through a cached byte).

class range_encoder {
public:
    explicit range_encoder(std::string& out) : m_out(out) {}
    void code(int p0, int bit) { // p0: probability of a 0 bit, 1..4095 of 4096
        const std::uint32_t bound = (m_range >> 12) * static_cast<std::uint32_t>(p0);
        if (bit == 0) {
            m_range = bound;
        } else {
            m_low += bound;
            m_range -= bound;
        }
        while (m_range < (1u << 24)) {
            m_range <<= 8;
            shift_low();
        }
    }
    void finish() {
        for (int i = 0; i < 5; ++i) shift_low();
    }

private:
    void shift_low() {
        if (m_low < 0xff000000u || m_low >= (std::uint64_t{1} << 32)) {
            const auto carry = static_cast<std::uint8_t>(m_low >> 32);
            std::uint8_t byte = m_cache;
            do {
                // The very first byte is always 0 and is not written (the decoder starts from it).
                if (m_started) m_out.push_back(static_cast<char>(static_cast<std::uint8_t>(byte + carry)));
                m_started = true;
                byte = 0xff;
            } while (--m_pending != 0);
            m_cache = static_cast<std::uint8_t>(m_low >> 24);
        }
        ++m_pending;
        m_low = (m_low & 0x00ffffffu) << 8;
    }
    std::string& m_out;
    std::uint64_t m_low = 0;
    std::uint32_t m_range = 0xffffffffu;
    std::uint8_t m_cache = 0;
    std::uint64_t m_pending = 1;
    bool m_started = false;
};

class range_decoder {
public:
    explicit range_decoder(std::string_view in) : m_in(in) {
        for (int i = 0; i < 4; ++i) m_code = m_code << 8 | next();
    }
    int code(int p0) {
        const std::uint32_t bound = (m_range >> 12) * static_cast<std::uint32_t>(p0);
        int bit = 0;
        if (m_code < bound) {
            m_range = bound;
        } else {
            m_code -= bound;
            m_range -= bound;
            bit = 1;
        }
        while (m_range < (1u << 24)) {
            m_range <<= 8;
            m_code = m_code << 8 | next();
        }
        return bit;
    }
    // Bytes read, counting those past the end (read as 0): equal to the input's size after the last
    // decision of an undamaged block.
    std::size_t consumed() const { return m_pos; }

private:
    std::uint32_t next() { return m_pos < m_in.size() ? static_cast<std::uint8_t>(m_in[m_pos++]) : (++m_pos, 0u); }
    std::string_view m_in;
    std::size_t m_pos = 0;
    std::uint32_t m_code = 0;
    std::uint32_t m_range = 0xffffffffu;
};

// ---- context hashing and the tables of counters.

std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
    h = (h ^ v) * 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 31);
}
std::uint64_t ctx(std::uint64_t a, std::uint64_t b = 0, std::uint64_t c = 0, std::uint64_t d = 0) {
    return mix(mix(mix(mix(0, a), b), c), d);
}

// A probability of a 1 (16 bits) and how many times it was updated (capped): it moves by 2/(2n+3)
// of the way to the bit, so its first observations count almost fully (these are short runs).
// Stored as p - 32768 so that a table of zero bytes is a table of fresh counters (p = 1/2).
// Trivial (no member initializers), so that tables are made by memset and copied by memmove, not
// counter by counter: a block's tables are up to 2^20 counters, and making them dominates coding a
// short block (value-initialized, a counter is all zeros: p = 1/2, nothing seen).
struct counter {
    std::int16_t centred;
    std::uint8_t n;
    std::uint8_t unused;
    int p() const { return centred + 32768; }
    void update(int bit, int limit) {
        const int target = bit ? 65535 : 0, now = p();
        centred = static_cast<std::int16_t>(now + (target - now) * 2 / (2 * n + 3) - 32768);
        if (n < limit) ++n;
    }
};
static_assert(std::is_trivial_v<counter>);

// A table of 2^bits counters, bits = bit length of what it will learn from (the block's content
// length; for strings plus the dictionary's) + 8, between 16 and 20: small blocks (a flush) get a
// small table, a golden trace's block 2^19-2^20 (few collisions), larger ones 2^20 (4 MiB): the
// decoder's working memory stays bounded whatever a block claims.
unsigned table_bits_for(std::size_t bytes) {
    const auto length = bytes ? 64u - static_cast<unsigned>(__builtin_clzll(bytes)) : 0u;
    return std::clamp(length + 8u, 16u, 20u);
}
// The memory of tables no longer used, kept by the thread for its next block: a table is up to
// 4 MiB, and fresh memory costs a page fault per 4 KiB page, which made every block (a trace cut at
// each byte, a fuzzed input) pay for mapping its tables again. At most two are kept per thread (a
// block uses two: the events' and the strings'), so a thread holds at most 8 MiB of them.
class spare_tables {
public:
    // A table of n counters; their values are unspecified.
    static std::vector<counter> take(std::size_t n) {
        std::vector<std::vector<counter>>& spares = list();
        for (std::size_t i = 0; i < spares.size(); ++i) {
            if (spares[i].capacity() < n) continue;
            std::vector<counter> v = std::move(spares[i]);
            spares.erase(spares.begin() + static_cast<std::ptrdiff_t>(i));
            v.resize(n);
            return v;
        }
        return std::vector<counter>(n);
    }
    static void give(std::vector<counter>&& v) {
        std::vector<std::vector<counter>>& spares = list();
        if (v.capacity() > 0 && spares.size() < 2) spares.push_back(std::move(v));
    }

private:
    static std::vector<std::vector<counter>>& list() {
        thread_local std::vector<std::vector<counter>> spares;
        return spares;
    }
};

struct counter_table {
    unsigned bits;
    std::vector<counter> c;
    explicit counter_table(std::size_t learn_bytes)
        : bits(table_bits_for(learn_bytes)), c(spare_tables::take(std::size_t{1} << bits)) {
        std::memset(static_cast<void*>(c.data()), 0, c.size() * sizeof(counter)); // all zeros: p = 1/2, nothing seen
    }
    counter_table(const counter_table& other) : bits(other.bits), c(spare_tables::take(other.c.size())) {
        std::memcpy(static_cast<void*>(c.data()), other.c.data(), c.size() * sizeof(counter));
    }
    counter_table(counter_table&&) noexcept = default;
    counter_table& operator=(const counter_table&) = delete;
    counter_table& operator=(counter_table&&) = delete;
    ~counter_table() { spare_tables::give(std::move(c)); }
    counter& at(std::uint64_t h) { return c[static_cast<std::size_t>(h >> (64 - bits))]; }
};
constexpr std::size_t max_inputs = 8;
constexpr std::int32_t initial_weight = 19661; // 0.3 in 16.16

struct weights {
    std::array<std::int32_t, max_inputs> w;
    weights() { w.fill(initial_weight); }
};

// Field numbers are the mask bits: ts 0, task 1, a 2, code 3, b 4, step 5, tick 6.
enum : std::uint64_t {
    f_ts_ = 0, f_task_ = 1, f_a_ = 2, f_code_ = 3, f_b_ = 4, f_step_ = 5, f_tick_ = 6,
};
// Context tags (the first value hashed into each context; traces/README.md lists their numbers: 13
// and 37 are not used).
enum : std::uint64_t {
    t_kind1 = 1, t_kind2, t_kind3, t_kind_after, t_kind_task, t_mask0, t_mask1, t_mask2, t_mask3, t_mask4, t_mask5,
    t_ts, t_ts_kind, t_ts_prev, t_ts_all, t_ts_size, t_delta, t_delta_all, t_task_cand, t_task_cand_all, t_task,
    t_task_all, t_new, t_new_all, t_same, t_same_all, t_sid, t_sid_all, t_due, t_diff, t_value, t_value_all,
    t_length, t_length_class, t_base, t_record_type, t_raw_length, t_number_size, t_number_top,
    t_order0, t_order, t_class_byte,
};
constexpr std::uint64_t none = ~std::uint64_t{0};

// The string fields, in this order: their index is the string's class (8: a string defined by an
// explicit item, 9: a raw record's bytes).
constexpr std::array<std::pair<std::uint32_t, std::uint64_t>, 8> string_fields = {
    {{2, f_b_}, {7, f_a_}, {7, f_b_}, {6, f_a_}, {8, f_a_}, {9, f_b_}, {18, f_a_}, {21, f_a_}}};
int string_class(std::uint32_t kind, std::uint64_t field) {
    for (std::size_t i = 0; i < string_fields.size(); ++i)
        if (string_fields[i].first == kind && string_fields[i].second == field) return static_cast<int>(i);
    return -1;
}
constexpr int class_explicit = 8, class_raw = 9, classes = 10;
constexpr std::uint8_t pieces_lead = 0x7f; // framed record type 3: string pieces
constexpr std::uint32_t explicit_item = 31; // item kind: a framed record that no event introduced
constexpr int match_min = 5;
constexpr std::size_t ready_cap = 64;

// A map from 64-bit keys to values in 1024 slots (by the key's hash; a newer key takes the slot).
class small_map {
public:
    small_map() : m_slots(1024) {}
    std::uint64_t get(std::uint64_t key) const {
        const slot& s = m_slots[index(key)];
        return s.key == key + 1 ? s.value : none;
    }
    void put(std::uint64_t key, std::uint64_t value) { m_slots[index(key)] = {key + 1, value}; }

private:
    struct slot {
        std::uint64_t key = 0; // key + 1; 0 = empty
        std::uint64_t value = 0;
    };
    static std::size_t index(std::uint64_t key) { return static_cast<std::size_t>(mix(0, key) >> 54); }
    std::vector<slot> m_slots;
};

std::size_t bit_length(std::uint64_t v) { return v ? 64 - static_cast<std::size_t>(__builtin_clzll(v)) : 0; }

// ---- one binary decision: counters mixed in the stretch domain, then coded.

// Encodes, decodes, or (neither: priming) only learns.
struct bit_coder {
    range_encoder* enc = nullptr;
    range_decoder* dec = nullptr;
    int code(int p0, int bit) {
        if (enc) enc->code(p0, bit);
        if (dec) bit = dec->code(p0);
        return bit;
    }
};

// Codes one decision predicted by the counters at `slots` of `table` (each updated with rate
// limit `limit`) and an optional extra input (already stretched), mixed by weight set `set`.
int decide(bit_coder& coder, counter_table& table, const std::uint64_t* slots, std::size_t n, int limit,
           weights& set, int bit, bool has_extra = false, int extra = 0) {
    std::array<counter*, max_inputs> c{};
    std::array<int, max_inputs> st{};
    std::int64_t dot = 0;
    for (std::size_t i = 0; i < n; ++i) {
        c[i] = &table.at(slots[i]);
        st[i] = stretch(c[i]->p() >> 4);
        dot += std::int64_t{set.w[i]} * st[i];
    }
    std::size_t inputs = n;
    if (has_extra) {
        st[inputs] = extra;
        dot += std::int64_t{set.w[inputs]} * extra;
        ++inputs;
    }
    const int p1 = std::clamp(squash(static_cast<int>(std::clamp<std::int64_t>(dot >> 16, -2047, 2047))), 1, 4095);
    bit = coder.code(4096 - p1, bit);
    const int err = (bit << 12) - p1;
    for (std::size_t i = 0; i < inputs; ++i) set.w[i] += (st[i] * err + 512) >> 10;
    for (std::size_t i = 0; i < n; ++i) c[i]->update(bit, limit);
    return bit;
}

// ---- the string model: bytes as 8 binary decisions, mixed from orders 0-6, the string's class
// with the previous byte, and a match model over the string history.

constexpr int string_limit = 255;

struct string_model {
    explicit string_model(std::size_t learn_bytes) : table(learn_bytes) { match_hit.fill(58982); } // 0.9
    counter_table table;
    std::array<weights, 16 + classes> mixers{};
    std::array<std::uint16_t, 16> match_hit{}; // P(the predicted bit is right) by match length, 16 bits
    std::string history;                        // the dictionary, then every string, each followed by 0
    std::vector<std::uint32_t> last_seen = std::vector<std::uint32_t>(std::size_t{1} << 16); // position + 1
    std::size_t match_at = 0; // position + 1 of the byte the match predicts; 0 = none
    std::size_t match_length = 0;


    std::uint64_t order_hash(std::size_t order) const {
        std::uint64_t h = ctx(t_order, order);
        for (std::size_t i = history.size() - std::min(order, history.size()); i < history.size(); ++i)
            h = mix(h, static_cast<std::uint8_t>(history[i]));
        return h;
    }

    // Appends c to the history and moves the match model on.
    void push(std::uint8_t c) {
        if (match_at && static_cast<std::uint8_t>(history[match_at - 1]) == c) {
            ++match_length;
            ++match_at;
        } else {
            match_length = 0;
            match_at = 0;
        }
        history.push_back(static_cast<char>(c));
        if (history.size() >= match_min) {
            std::uint64_t h = 0;
            for (std::size_t i = history.size() - match_min; i < history.size(); ++i)
                h = mix(h, static_cast<std::uint8_t>(history[i]));
            std::uint32_t& seen = last_seen[static_cast<std::size_t>(h >> 48)];
            if (!match_at && seen) {
                match_at = seen; // the byte that followed these 5 bytes last time
                match_length = 0;
            }
            seen = static_cast<std::uint32_t>(history.size()) + 1;
        }
    }

    // Codes one byte of a string of class cls.
    std::uint8_t byte(bit_coder& coder, int cls, std::uint8_t value) {
        std::array<std::uint64_t, 7> base{};
        base[0] = ctx(t_order0);
        constexpr std::array<std::size_t, 5> orders = {1, 2, 3, 4, 6};
        for (std::size_t i = 0; i < orders.size(); ++i) base[i + 1] = order_hash(orders[i]);
        base[6] = ctx(t_class_byte, static_cast<std::uint64_t>(cls),
                      history.empty() ? 0 : static_cast<std::uint8_t>(history.back()));
        const int predicted = match_at ? static_cast<std::uint8_t>(history[match_at - 1]) : -1;
        const std::size_t length = std::min<std::size_t>(match_length, 15);
        std::uint64_t node = 1;
        for (int i = 7; i >= 0; --i) {
            std::array<std::uint64_t, 7> h{};
            for (std::size_t k = 0; k < h.size(); ++k) h[k] = mix(base[k], node);
            const bool expecting = predicted >= 0 && static_cast<std::uint64_t>((predicted + 256) >> (i + 1)) == node;
            int extra = 0, expected = 0;
            if (expecting) {
                expected = predicted >> i & 1;
                const int s = stretch(match_hit[length] >> 4);
                extra = expected ? s : -s;
            }
            weights& set = mixers[expecting ? length : 16 + static_cast<std::size_t>(cls)];
            const int bit = decide(coder, table, h.data(), h.size(), string_limit, set, value >> i & 1, true, extra);
            if (expecting) {
                std::uint16_t& q = match_hit[length];
                q = static_cast<std::uint16_t>(q + ((bit == expected ? 65535 : 0) - q) / 32);
            }
            node = node * 2 + static_cast<std::uint64_t>(bit);
        }
        const auto c = static_cast<std::uint8_t>(node - 256);
        push(c);
        return c;
    }
};

// The string model after learning `dictionary` (each byte coded by no coder, then a 0): the same
// for every block, so made once per dictionary and copied.
string_model primed_model(std::string_view dictionary, std::size_t content_length) {
    const unsigned bits = table_bits_for(content_length + dictionary.size());
    static std::mutex lock;
    static std::vector<std::pair<std::string, std::unique_ptr<const string_model>>> made; // by dictionary and bits
    std::lock_guard guard(lock);
    for (const auto& [bytes, model] : made)
        if (model->table.bits == bits && bytes == dictionary) return *model;
    auto model = std::make_unique<string_model>(content_length + dictionary.size());
    bit_coder learn;
    for (char c : dictionary) model->byte(learn, class_explicit, static_cast<std::uint8_t>(c));
    model->push(0);
    made.emplace_back(std::string(dictionary), std::move(model));
    return *made.back().second;
}

// ---- the models of one block.

constexpr int event_limit = 30;

struct event_item {
    std::uint32_t kind = 0;
    std::uint32_t mask = 0;
    std::array<std::uint64_t, 7> v{}; // the fields as in the record (ts, step, tick: zigzag deltas)
};

std::string pieces_record(std::string_view text) {
    std::string payload;
    if (!text.empty()) {
        put_varint(payload, std::uint64_t{text.size()} * 2);
        payload += text;
    }
    std::string record(1, static_cast<char>(pieces_lead));
    put_varint(record, payload.size());
    return record + payload;
}

class block_model {
public:
    block_model(string_model strings, bit_coder coder, std::size_t room)
        : m_s(std::move(strings)), m_coder(coder), m_room(room), m_events(room) {}

    bool bad() const { return m_bad; }
    std::size_t items() const { return m_items; }
    const std::string& problem() const { return m_problem; }
    bool encoding() const { return m_coder.enc != nullptr; }

    // The kind of the next item (0..30: an event record; 31: an explicit record).
    std::uint32_t item_kind(std::uint32_t kind) {
        ++m_items;
        const std::uint64_t after = m_after[m_kinds[1] * 32 + m_kinds[0]];
        const std::uint64_t task_after = m_task_after.get(m_prev_task << 5 | m_kinds[0]);
        return static_cast<std::uint32_t>(tree({ctx(t_kind1, m_kinds[0]), ctx(t_kind2, m_kinds[0], m_kinds[1]),
                                                ctx(t_kind3, m_kinds[0], m_kinds[1], m_kinds[2]),
                                                ctx(t_kind_after, after, m_kinds[0]),
                                                ctx(t_kind_task, m_kinds[0], task_after == none ? 99 : task_after)},
                                               kind, 5, m_sets[set_kind]));
    }

    // An explicit record after its item kind: a string pieces record of one literal whose text
    // comes later (raw false: a *placeholder*, filled when an event first refers to its id or at
    // the block's end), or any record's bytes (raw true).
    // Returns false at the end of the block (the third kind of explicit item).
    bool explicit_record(int type, std::string_view value) {
        if (bit({ctx(t_record_type)}, 1, m_sets[set_record_type], type != 0)) type = 1 + bit({ctx(t_record_type)}, 2, m_sets[set_record_type], type == 2);
        if (type == 2) return false;
        if (type == 0) {
            if (!grow(2)) return true; // a placeholder's record takes at least 2 bytes
            m_holes.push_back({m_rows.size(), m_strings, {}});
            ++m_strings;
            return true;
        }
        std::string t;
        if (!text(class_raw, value, t)) return true;
        if (t.empty()) return fail("an empty raw record"), true;
        if (static_cast<std::uint8_t>(t[0]) == pieces_lead) ++m_strings;
        if (grow(t.size())) m_rows += t;
        return true;
    }

    // After the last item: the placeholders not filled yet get their texts, in order; the rows are
    // assembled into out. Returns false when damaged.
    bool finish(std::string& out) {
        while (!m_bad && m_front < m_holes.size()) fill(class_explicit, m_front < m_hole_texts.size() ? m_hole_texts[m_front] : std::string_view{});
        if (m_bad) return false;
        out.clear();
        std::size_t from = 0;
        for (const hole& h : m_holes) {
            out.append(m_rows, from, h.at - from);
            out += pieces_record(h.text);
            from = h.at;
        }
        out.append(m_rows, from, std::string::npos);
        if (out.size() != m_room) return fail("the records do not fill the block's content length"), false;
        return true;
    }
    // Encoder: the texts of the placeholders, in order.
    std::vector<std::string_view> m_hole_texts;

    // Whether the strings `pending` (pieces records just before event `e`) can be defined by e's
    // string fields in order (the writer defines a string just before the event that refers to it).
    bool can_define(const event_item& e, std::size_t pending) const {
        if (pending == 0) return true;
        if (!m_base_valid || m_front < m_holes.size()) return false;
        bool known = m_base_known;
        std::uint64_t base = m_base;
        std::size_t j = 0;
        for (std::uint64_t f = 0; f < 7 && j < pending; ++f) {
            if (!(e.mask >> f & 1) || string_class(e.kind, f) < 0) continue;
            const std::uint64_t v = e.v[f], next = m_strings + j + 1;
            if (known ? v == base + next : v >= next) {
                if (!known) base = v - next;
                known = true;
                ++j;
            }
        }
        return j == pending;
    }
    void raw_plain_string() { m_base_valid = false; } // ids no longer follow from the records

    // One event record after its item kind (encoding: `in`, whose fields define the strings `lazy`
    // in order). Appends the strings' records, then the event's record, to the rows.
    void event(std::uint32_t k, const event_item* in, const std::vector<std::string_view>& lazy) {
        std::uint32_t mask = 0;
        const std::uint64_t last_mask = m_last_mask[k];
        for (std::uint32_t b = 0; b < 7; ++b) {
            const int got = bit({ctx(t_mask0, k, b), ctx(t_mask1, k, b, m_kinds[0]), ctx(t_mask2, k, b, last_mask >> b & 1),
                                 ctx(t_mask3, b, mask, k), ctx(t_mask4, b), ctx(t_mask5, b, m_kinds[0])},
                                0, m_sets[set_mask], in ? static_cast<int>(in->mask >> b & 1) : 0);
            mask |= static_cast<std::uint32_t>(got) << b;
        }
        std::array<std::uint64_t, 7> v{};
        std::size_t lazy_used = 0;
        std::string defined; // the records of the strings this event defines
        std::size_t defined_counted = 0; // of which counted by grow()
        std::uint64_t task = m_prev_task;
        for (std::uint64_t f = 0; f < 7 && !m_bad; ++f) {
            if (!(mask >> f & 1)) continue;
            const std::uint64_t truth = in ? in->v[f] : 0;
            weights& set = m_sets[set_field + k * 8 + f];
            std::uint64_t value = 0;
            if (f == f_ts_) {
                value = number({ctx(t_ts, k), ctx(t_ts_prev, k, m_kinds[0]), ctx(t_ts_all), ctx(t_ts_size, k, m_ts_size[k])},
                               truth, set);
                m_ts_size[k] = bit_length(value);
                m_ts += unzigzag64(value);
            } else if (f == f_step_ || f == f_tick_) {
                value = number({ctx(t_delta, f, k), ctx(t_delta_all, f)}, truth, set);
            } else if (f == f_task_) {
                std::array<std::uint64_t, 7> cands{};
                cands.fill(none);
                std::size_t n = 0;
                if (k == 2) cands[n++] = m_max_task + 1;
                if (k == 4)
                    for (std::size_t i = 0; i < 3; ++i) cands[n++] = i < m_ready.size() ? m_ready[i] : none;
                if (k == 3) cands[n++] = m_suspended_on.get(m_prev_task);
                cands[n++] = m_last_set[k] >> f_task_ & 1 ? m_last[k][f_task_] : none;
                cands[n++] = m_prev_a;
                bool found = false;
                for (std::size_t i = 0; i < n && !found; ++i) {
                    if (cands[i] == none || cands[i] == m_prev_task) continue;
                    if (bit({ctx(t_task_cand, k, i), ctx(t_task_cand_all, i)}, 0, set, truth == cands[i])) {
                        value = cands[i];
                        found = true;
                    }
                }
                if (!found) value = number({ctx(t_task, k), ctx(t_task_all)}, truth, set);
                task = value;
            } else {
                std::uint64_t pred = none;
                if (f == f_code_ && k == 3) pred = m_suspend_code.get(task);
                if (f == f_a_ && k == 3 && m_suspend_code.get(task) == 3) pred = m_suspend_a.get(task);
                if (f == f_b_ && k == 7) pred = m_frame_location.get(v[f_a_]);
                if (f == f_b_ && k == 5) pred = m_due_by_task.get(task);
                if (pred == none && (m_last_set[k] >> f & 1)) pred = m_last[k][f];
                const int cls = string_class(k, f);
                if (cls >= 0) {
                    // "fresh": the value is the id of the first placeholder not filled yet, or (none
                    // left) of a string record defined right here, before this event; its text follows.
                    const bool holes = m_front < m_holes.size();
                    const std::uint64_t index = holes ? m_holes[m_front].strings : m_strings;
                    const bool fresh = in && (holes || lazy_used < lazy.size()) &&
                                       (m_base_known ? truth == m_base + index + 1 : truth >= index + 1);
                    if (bit({ctx(t_new, k, f), ctx(t_new_all)}, 0, set, fresh)) {
                        if (!m_base_known) {
                            m_base = number({ctx(t_base)}, in ? truth - index - 1 : 0, m_sets[set_base]);
                            m_base_known = true;
                        }
                        value = m_base + index + 1;
                        if (holes) {
                            fill(cls, in ? m_hole_texts[m_front] : std::string_view{});
                        } else {
                            std::string t;
                            if (!text(cls, in ? lazy[lazy_used] : std::string_view{}, t)) break;
                            defined += pieces_record(t);
                            if (!grow(defined.size() - defined_counted)) break;
                            defined_counted = defined.size();
                            ++lazy_used;
                            ++m_strings;
                        }
                    } else if (pred != none && bit({ctx(t_same, k, f), ctx(t_same_all)}, 0, set, truth == pred)) {
                        value = pred;
                    } else {
                        value = number({ctx(t_sid, k, f), ctx(t_sid_all)}, truth, set);
                    }
                } else if (f == f_b_ && k == 13) {
                    // A timer's due time: how (due - ts) changed since the last timer_arm.
                    const std::uint64_t z = number({ctx(t_due)}, zigzag64(truth - m_ts - m_due_offset), set);
                    value = m_ts + m_due_offset + unzigzag64(z);
                    m_due_offset = value - m_ts;
                } else if (pred != none && bit({ctx(t_same, k, f), ctx(t_same_all, f)}, 0, set, truth == pred)) {
                    value = pred;
                } else if (f == f_a_ && (k == 13 || k == 9 || k == 10) && (m_last_set[k] >> f_a_ & 1)) {
                    const std::uint64_t z = number({ctx(t_diff, k, f)}, zigzag64(truth - m_last[k][f_a_]), set);
                    value = m_last[k][f_a_] + unzigzag64(z);
                } else {
                    value = number({ctx(t_value, k, f), ctx(t_value_all, f)}, truth, set);
                }
            }
            v[f] = value;
        }
        if (m_bad) return;
        if (in && lazy_used != lazy.size()) return fail("a planned string was not defined"); // cannot happen
        std::string record;
        put_varint(record, k | std::uint64_t{mask} << kind_bits);
        for (std::uint64_t f = 0; f < 7; ++f)
            if (mask >> f & 1) put_varint(record, v[f]);
        if (!grow(record.size())) return;
        m_rows += defined;
        m_rows += record;
        remember(k, mask, v, task);
    }

private:
public:
    void fail(const char* why) {
        if (!m_bad) m_problem = why;
        m_bad = true;
    }

private:

    // The state the next items are predicted from, after event k.
    void remember(std::uint32_t k, std::uint32_t mask, const std::array<std::uint64_t, 7>& v, std::uint64_t task) {
        for (std::uint64_t f = 0; f < 7; ++f) {
            if (mask >> f & 1 || f == f_a_ || f == f_code_ || f == f_b_) {
                m_last[k][f] = v[f];
                m_last_set[k] |= 1u << f;
            }
        }
        m_last_mask[k] = mask;
        if (k == 2) m_max_task = std::max(m_max_task, task);
        if (k == 3 && m_ready.size() < ready_cap && std::find(m_ready.begin(), m_ready.end(), task) == m_ready.end())
            m_ready.push_back(task);
        if (k == 4) {
            auto it = std::find(m_ready.begin(), m_ready.end(), task);
            if (it != m_ready.end()) m_ready.erase(it);
        }
        if (k == 5) {
            m_suspend_code.put(task, v[f_code_]);
            m_suspend_a.put(task, v[f_a_]);
            m_suspended_on.put(v[f_a_], task);
        }
        if (k == 7) m_frame_location.put(v[f_a_], v[f_b_]);
        if (k == 13) m_due_by_task.put(task, v[f_b_]);
        m_after[m_kinds[1] * 32 + m_kinds[0]] = k;
        m_task_after.put(m_prev_task << 5 | m_kinds[0], k);
        m_kinds = {k, m_kinds[0], m_kinds[1]};
        m_prev_task = task;
        m_prev_a = v[f_a_];
    }

    // An event-side decision from contexts ctxs, each hashed with node.
    int bit(std::initializer_list<std::uint64_t> ctxs, std::uint64_t node, weights& set, int value) {
        std::array<std::uint64_t, max_inputs> h{};
        std::size_t n = 0;
        for (std::uint64_t c : ctxs) h[n++] = mix(c, node);
        return decide(m_coder, m_events, h.data(), n, event_limit, set, value);
    }

    // A value of `bits` bits as a binary tree (the high bit first, each node its own counters).
    std::uint64_t tree(std::initializer_list<std::uint64_t> ctxs, std::uint64_t value, unsigned bits, weights& set) {
        std::uint64_t node = 1;
        for (unsigned i = bits; i-- > 0;)
            node = node * 2 + static_cast<std::uint64_t>(bit(ctxs, node, set, static_cast<int>(value >> i & 1)));
        return node - (std::uint64_t{1} << bits);
    }

    // Any u64: its bit length (0..64) by a 7-bit tree, the (up to) 3 bits below the leading 1 by a
    // tree under (context, length), the rest as direct bits (probability 1/2), high bits first.
    std::uint64_t number(std::initializer_list<std::uint64_t> ctxs, std::uint64_t value, weights& set) {
        std::array<std::uint64_t, max_inputs> c{};
        std::size_t n = 0;
        for (std::uint64_t x : ctxs) c[n++] = mix(x, t_number_size);
        const std::uint64_t length = tree_of(c.data(), n, bit_length(value), 7, set);
        if (length > 64) return fail("a number longer than 64 bits"), 0;
        if (length <= 1) return length;
        const std::size_t m = static_cast<std::size_t>(length) - 1, top = std::min<std::size_t>(m, 3);
        n = 0;
        for (std::uint64_t x : ctxs) c[n++] = mix(mix(x, t_number_top), length);
        const std::uint64_t hi =
            tree_of(c.data(), n, value >> (m - top) & ((std::uint64_t{1} << top) - 1), static_cast<unsigned>(top), set);
        std::uint64_t lo = 0;
        for (std::size_t i = m - top; i-- > 0;)
            lo = lo << 1 | static_cast<std::uint64_t>(m_coder.code(2048, static_cast<int>(value >> i & 1)));
        return std::uint64_t{1} << m | hi << (m - top) | lo;
    }

    std::uint64_t tree_of(const std::uint64_t* ctxs, std::size_t n, std::uint64_t value, unsigned bits, weights& set) {
        std::uint64_t node = 1;
        for (unsigned i = bits; i-- > 0;) {
            std::array<std::uint64_t, max_inputs> h{};
            for (std::size_t k = 0; k < n; ++k) h[k] = mix(ctxs[k], node);
            node = node * 2 +
                   static_cast<std::uint64_t>(decide(m_coder, m_events, h.data(), n, event_limit, set, static_cast<int>(value >> i & 1)));
        }
        return node - (std::uint64_t{1} << bits);
    }

    // Counts n more bytes of rows; false (damage) past the block's content length.
    bool grow(std::size_t n) {
        if (n > m_room - m_made) return fail("the records run past the block's content length"), false;
        m_made += n;
        return true;
    }

    // Fills the first unfilled placeholder with a text of class cls (its record grows from the 2
    // bytes counted for it).
    void fill(int cls, std::string_view value) {
        hole& h = m_holes[m_front];
        if (!text(cls, value, h.text)) return;
        if (!grow(pieces_record(h.text).size() - 2)) return;
        ++m_front;
    }

    // A string's text: its length, then its bytes, then a 0 in the history. The text must fit in
    // what is left of the block.
    bool text(int cls, std::string_view value, std::string& out) {
        const std::uint64_t length =
            number({ctx(t_length), ctx(t_length_class, static_cast<std::uint64_t>(cls))}, value.size(), m_sets[set_length]);
        if (m_bad) return false;
        if (length > m_room - m_made) return fail("a string runs past the block's content length"), false;
        out.clear();
        for (std::size_t i = 0; i < length; ++i)
            out.push_back(static_cast<char>(m_s.byte(m_coder, cls, encoding() ? static_cast<std::uint8_t>(value[i]) : 0)));
        m_s.push(0);
        return true;
    }

    static constexpr std::size_t set_kind = 0, set_mask = 1, set_length = 2, set_base = 3, set_record_type = 4,
                                 set_field = 8; // + kind * 8 + field
    struct hole {
        std::size_t at = 0;          // where its record goes in m_rows
        std::uint64_t strings = 0;   // string records before it in the block (its id: base + this + 1)
        std::string text;
    };
    std::string m_rows;          // the records so far, placeholders left out
    std::vector<hole> m_holes;   // the placeholders, in order
    std::size_t m_front = 0;     // the first placeholder not filled yet
    std::size_t m_made = 0;      // bytes the rows will take (an unfilled placeholder: 2)
    std::size_t m_items = 0;     // items coded so far
    string_model m_s;
    bit_coder m_coder;
    std::size_t m_room; // the block's content length: rows never grow past it
    counter_table m_events;
    std::array<weights, set_field + 32 * 8> m_sets{};
    bool m_bad = false;
    std::string m_problem;

    std::array<std::uint64_t, 3> m_kinds{};          // the previous three event kinds, the last first
    std::array<std::uint64_t, 32 * 32> m_after{};    // (kind before last, last kind) -> the kind that followed
    small_map m_task_after;                          // (task, last kind) -> the kind that followed
    std::array<std::array<std::uint64_t, 7>, 32> m_last{}; // last value of each field, by kind
    std::array<std::uint32_t, 32> m_last_set{};            // which of them were set
    std::array<std::uint64_t, 32> m_last_mask{};
    std::array<std::uint64_t, 32> m_ts_size{}; // bit length of the last ts value, by kind
    std::uint64_t m_prev_task = 0, m_prev_a = 0, m_max_task = 0, m_ts = 0, m_due_offset = 0;
    std::vector<std::uint64_t> m_ready; // tasks made ready and not resumed yet, oldest first (at most ready_cap)
    small_map m_suspend_code, m_suspend_a, m_suspended_on, m_frame_location, m_due_by_task;
    std::uint64_t m_strings = 0; // string pieces records in the block so far
    std::uint64_t m_base = 0;    // the id of the string record before the block, once coded
    bool m_base_known = false;
    bool m_base_valid = true; // encoder: no plain string record (an explicit id) seen
};

// One record of the rows at pos, as the encoder codes it.
struct parsed {
    enum { event, string, raw } type = raw;
    event_item e;
    std::string_view text;  // string: its text
    std::string_view bytes; // the whole record
};

parsed parse_record(std::string_view rows, std::size_t& pos) {
    parsed out;
    const std::size_t start = pos;
    auto rest_raw = [&] {
        pos = rows.size();
        out.type = parsed::raw;
        out.bytes = rows.substr(start);
        return out;
    };
    std::uint64_t lead = 0;
    if (!read_varint(rows, pos, lead)) return rest_raw();
    if ((lead & framed_kind) != framed_kind) {
        const std::uint64_t mask = lead >> kind_bits;
        if (mask > field_mask_all) return rest_raw();
        std::array<std::uint64_t, 7> v{};
        for (std::uint64_t f = 0; f < 7; ++f)
            if (mask >> f & 1 && !read_varint(rows, pos, v[f])) return rest_raw();
        if (mask & f_extra) {
            std::uint64_t length = 0;
            if (!read_varint(rows, pos, length) || length > rows.size() - pos) return rest_raw();
            pos += static_cast<std::size_t>(length);
        }
        out.bytes = rows.substr(start, pos - start);
        out.e.kind = static_cast<std::uint32_t>(lead & framed_kind);
        out.e.mask = static_cast<std::uint32_t>(mask);
        out.e.v = v;
        std::string again; // only records this coder rebuilds byte for byte are events; others raw
        put_varint(again, lead);
        for (std::uint64_t f = 0; f < 7; ++f)
            if (mask >> f & 1) put_varint(again, v[f]);
        out.type = !(mask & f_extra) && again == out.bytes ? parsed::event : parsed::raw;
        return out;
    }
    std::uint64_t length = 0;
    if (!read_varint(rows, pos, length) || length > rows.size() - pos) return rest_raw();
    pos += static_cast<std::size_t>(length);
    out.bytes = rows.substr(start, pos - start);
    out.type = parsed::raw;
    if (lead == (framed_kind | record_string_pieces << kind_bits)) {
        const std::string_view payload = rows.substr(pos - static_cast<std::size_t>(length), static_cast<std::size_t>(length));
        std::size_t p = 0;
        std::uint64_t h = 0;
        if (payload.empty() || (read_varint(payload, p, h) && h % 2 == 0 && h / 2 == payload.size() - p)) {
            out.text = payload.substr(std::min(p, payload.size()));
            if (pieces_record(out.text) == out.bytes) out.type = parsed::string;
        }
    }
    return out;
}

} // namespace

void model_encode(std::string_view rows, std::string_view dictionary, std::string& out) {
    range_encoder enc(out);
    block_model model(primed_model(dictionary, rows.size()), bit_coder{&enc, nullptr}, rows.size());
    std::vector<std::string_view> pending; // string records waiting for the next event
    auto placeholders = [&] {
        for (std::string_view text : pending) {
            model.item_kind(explicit_item);
            model.explicit_record(0, {});
            model.m_hole_texts.push_back(text);
        }
        pending.clear();
    };
    for (std::size_t pos = 0; pos < rows.size();) {
        const parsed r = parse_record(rows, pos);
        if (r.type == parsed::string) {
            pending.push_back(r.text);
            continue;
        }
        if (r.type == parsed::event) {
            if (!model.can_define(r.e, pending.size())) placeholders();
            model.item_kind(r.e.kind);
            model.event(r.e.kind, &r.e, pending);
            pending.clear();
            continue;
        }
        placeholders();
        std::uint64_t lead = 0;
        std::size_t p = 0;
        if (read_varint(r.bytes, p, lead) && lead == (framed_kind | record_string << kind_bits)) model.raw_plain_string();
        model.item_kind(explicit_item);
        model.explicit_record(1, r.bytes);
    }
    placeholders();
    model.item_kind(explicit_item);
    model.explicit_record(2, {});
    std::string check;
    model.finish(check);
    enc.finish();
}

std::string model_decode(std::string_view coded, std::size_t content_length, std::string_view dictionary,
                         std::string& out) {
    out.clear();
    // Writers model blocks of up to zstd_small_block bytes: a larger claim is damage, which also
    // bounds the decoding work (each item makes at least one byte of rows).
    if (content_length > zstd_small_block) return "its content length exceeds 64 KiB";
    range_decoder dec(coded);
    block_model model(primed_model(dictionary, content_length), bit_coder{nullptr, &dec}, content_length);
    const std::vector<std::string_view> none_lazy;
    for (bool more = true; more && !model.bad();) {
        const std::uint32_t kind = model.item_kind(0);
        if (kind == explicit_item)
            more = model.explicit_record(0, {});
        else
            model.event(kind, nullptr, none_lazy);
        // A valid block never reads past its coded bytes: stop at once when damage makes it.
        if (dec.consumed() > coded.size()) model.fail("the coded bytes end before the block's end");
    }
    if (!model.bad()) model.finish(out);
    if (model.bad()) return "item " + std::to_string(model.items()) + ": " + model.problem();
    if (dec.consumed() != coded.size())
        return "the coded bytes " + std::string(dec.consumed() < coded.size() ? "go on after" : "end before") +
               " the block's end (damaged)";
    return {};
}

} // namespace coroscope::traces::binary
