#include <coroscope/inspector/lints.hpp>
#include <coroscope/inspector/model.hpp>
#include <coroscope/inspector/stats.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <deque>
#include <map>
#include <set>

namespace coroscope::inspector {

using traces::event_kind;
using traces::wait_reason;

std::string_view to_string(lint_kind k) {
    constexpr std::array<std::string_view, lint_kind_count> names{
        "long-step", "starvation", "leaked-task", "swallowed-exception", "deadlock", "lost-wakeup", "never-yielding"};
    auto i = static_cast<std::size_t>(k);
    return i < names.size() ? names[i] : "unknown";
}

namespace {

bool is_object_wait(wait_reason r) {
    return r == wait_reason::channel || r == wait_reason::event || r == wait_reason::semaphore || r == wait_reason::mutex;
}

struct task_track {
    std::uint32_t parent = 0;
    std::vector<std::uint32_t> children;
    bool running = false;
    std::uint64_t resume_ts = 0, resume_step = 0;
    bool others_ready = false;        // another task was ready during the current step
    bool spawned_process = false;     // the current step started a child process (uv_spawn blocks)
    bool ready = false;
    wait_reason ready_cause = wait_reason::none;
    std::uint32_t ready_tick = 0;
    std::uint64_t ready_step = 0, ready_ts = 0;
    std::uint64_t busy_at_ready = 0;  // step time of all tasks run before it became ready
    std::uint64_t steps_at_ready = 0;
    bool starvation_reported = false;
    bool joined = false;              // somebody joined it (suspend join on it, or woken by its end)
    bool in_deadlock = false;         // its current wait is part of a reported cycle
    std::uint64_t wait_ts = 0, wait_step = 0;
    std::uint32_t failed_error = 0;   // exception text of its failure (0 = none)
    std::uint64_t failed_step = 0, failed_ts = 0;
    bool failed = false;
    bool unobserved = false;          // an unobserved_failure event named it
    std::uint64_t unobserved_step = 0;
    bool exited = false;
    traces::exit_status status = traces::exit_status::ok;
    std::uint64_t exit_step = 0;
    bool orphaned = false;            // alive when its parent ended
    std::uint64_t orphaned_step = 0, orphaned_ts = 0;
    task_state state_at_orphan = task_state::ready;
};

std::string task_ref(const model& m, std::uint32_t id) { return "task " + std::to_string(id) + " '" + m.task_name(id) + "'"; }

bool bounded_by_timeout(const model& m, std::uint32_t task) {
    // with_timeout runs the operation in a child task named "with_timeout": its waits end by the
    // timeout's cancellation by design.
    return m.task_name(task) == "with_timeout";
}

// Format 1.1 records unobserved_failure: the scheduler itself says which failures nobody read.
bool has_unobserved_failure_events(const traces::header& h) { return h.major > 1 || (h.major == 1 && h.minor >= 1); }

} // namespace

namespace {

// One finding judged at the end, as the numbers its sentence is made of: equal records make equal
// findings (string ids name interned text, which never changes), so publish() remakes a finding
// only when its record changed.
struct end_record {
    std::uint8_t group = 0; // 0 swallowed exception, 1 leaked while running, 2 at the end of the trace
    std::uint32_t task = 0;
    lint_kind kind = lint_kind::leaked_task;
    std::uint64_t step = 0;
    std::array<std::uint64_t, 6> in{}; // per kind, below
    bool operator==(const end_record&) const = default;
    // The order publish() keeps: by (group, task), as they are made.
    bool before(const end_record& o) const { return group != o.group ? group < o.group : task < o.task; }
};
lint_finding end_finding(const model& m, const end_record& r); // the finding the record stands for

} // namespace

struct lint_builder::state {
    lint_options opt;
    std::uint64_t next = 0;
    std::vector<lint_finding> out; // the findings made while folding (result() adds the end's)
    snapshot s;
    lock_tracker locks;
    std::deque<task_track> tr; // by task id; a deque grows without copying (stats.hpp's m_tasks says why)
    std::map<std::uint32_t, std::uint64_t> last_signal_ts; // object -> last time a waiter was woken by it
    std::set<std::vector<std::uint32_t>> cycles_reported;
    // exception text id -> (task, ts) of every frame or task that ended by an exception with that text
    std::map<std::uint32_t, std::vector<std::pair<std::uint32_t, std::uint64_t>>> thrown;
    std::uint32_t running = 0;
    std::uint64_t busy_ns = 0;    // time in steps so far, all tasks (steps that spawned a process aside)
    std::uint64_t steps_done = 0; // steps ended so far
    // The longest step of every suffix of the steps so far: (step index, duration), durations
    // decreasing. The longest step since index i is the first entry at or after i.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> suffix_max;
    // publish(): the fold's findings it took (a prefix of `out` above), the size it left, the
    // records of the end's findings it placed, and each finding's place in run_lints' order: by
    // step, then the fold's (in the order made) before the end's (by group, then task).
    struct order {
        std::uint64_t step = 0;
        bool end = false;
        std::uint8_t group = 0;
        std::uint32_t task = 0;
        std::size_t made = 0; // the fold's: index in `out`
        auto operator<=>(const order&) const = default;
    };
    std::size_t published_fold = 0, published_size = 0;
    std::vector<end_record> published_records; // sorted by (group, task)
    std::vector<order> published_order;         // parallel to the published findings
    // A publication under way (publish() returned false): what it found to change when it began,
    // and the new findings made so far; `out` changes only when it ends.
    struct pending_publication {
        bool active = false;
        std::vector<end_record> records;  // the end's, as the publication found them (sorted)
        std::vector<end_record> gone;     // published, now changed or not found any more (sorted)
        std::vector<std::size_t> added;   // indices in `records` of those to make
        std::size_t made = 0;             // of `added`
        std::size_t fold_end = 0;         // the fold's findings it took: [published_fold, fold_end)
        std::vector<std::pair<order, lint_finding>> fresh;
    } pending;
    void begin_publication(const model& m);
    void end_publication(std::vector<lint_finding>& out);
    // No publication under way; the buffers keep their memory for the next (fresh memory costs a
    // page fault per 4 KiB as it is first written: 12 us each on the VMs we measure on).
    void reset_pending() {
        std::vector<end_record> records = std::move(pending.records);
        std::vector<std::pair<order, lint_finding>> fresh = std::move(pending.fresh);
        pending = {};
        records.clear();
        fresh.clear();
        pending.records = std::move(records);
        pending.fresh = std::move(fresh);
    }
    void end_records(const model& m, std::vector<end_record>& records) const;

    task_track& track(std::uint32_t id) {
        if (id >= tr.size()) tr.resize(id + 1);
        return tr[id];
    }
    std::uint64_t longest_since(std::uint64_t index) const {
        auto it = std::lower_bound(suffix_max.begin(), suffix_max.end(), index,
                                   [](const auto& entry, std::uint64_t i) { return entry.first < i; });
        return it == suffix_max.end() ? 0 : it->second;
    }
    void apply(const model& m, const traces::event& e);
};

lint_builder::lint_builder(lint_options options) : m_state(std::make_unique<state>()) { m_state->opt = options; }
lint_builder::~lint_builder() = default;
lint_builder::lint_builder(const lint_builder& other) : m_state(std::make_unique<state>(*other.m_state)) {}
lint_builder& lint_builder::operator=(const lint_builder& other) {
    if (this != &other) m_state = std::make_unique<state>(*other.m_state);
    return *this;
}
lint_builder::lint_builder(lint_builder&&) noexcept = default;
lint_builder& lint_builder::operator=(lint_builder&&) noexcept = default;
std::uint64_t lint_builder::next() const { return m_state->next; }

void lint_builder::feed(const model& m, std::uint64_t end) {
    state& st = *m_state;
    const auto& events = m.trace().events;
    end = std::min<std::uint64_t>(end, events.size());
    if (st.next >= end) return;
    for (auto it = decltype(events.begin())(&events, st.next); st.next < end; ++it, ++st.next) st.apply(m, *it);
}

void lint_builder::state::apply(const model& m, const traces::event& e) {
    if (e.task != 0) track(e.task);
    // A join names a task in `a` (the joined task; the ended joinee as waker): make room for it
    // before it is looked up below.
    if ((e.kind == event_kind::task_suspend || e.kind == event_kind::task_ready) &&
        static_cast<wait_reason>(e.code) == wait_reason::join && e.a != 0)
        track(e.a);
    switch (e.kind) {
    case event_kind::task_spawn:
        tr[e.task].parent = e.a;
        if (e.a != 0) track(e.a).children.push_back(e.task);
        break;
    case event_kind::task_ready: {
        task_track& t = tr[e.task];
        auto cause = static_cast<wait_reason>(e.code);
        const task_snapshot* before = s.task(e.task);
        if (before && before->state == task_state::waiting && is_object_wait(before->reason)) {
            if (cause == before->reason) {
                last_signal_ts[before->target] = e.ts_ns;
            } else if (cause == wait_reason::cancel && !t.in_deadlock && !bounded_by_timeout(m, e.task)) {
                auto it = last_signal_ts.find(before->target);
                bool signaled = it != last_signal_ts.end() && it->second >= t.wait_ts;
                if (!signaled) {
                    std::string nobody = " and nobody signaled it; it only ended by cancellation";
                    if (before->reason == wait_reason::mutex) {
                        std::uint32_t holder = locks.mutex_holder(before->target);
                        nobody = locks.exact() || holder != 0
                                     ? " and the mutex was never handed to it" +
                                           (holder ? " (held by " + task_ref(m, holder) + ")" : std::string()) +
                                           "; it only ended by cancellation"
                                     : " and the mutex was never handed over (its holder is unknown: no lock "
                                       "events); it only ended by cancellation";
                    }
                    out.push_back({lint_kind::lost_wakeup, e.step, e.task,
                                   task_ref(m, e.task) + " waited (" + describe_await(m, before->reason, before->target) +
                                       ") from step " + std::to_string(t.wait_step) + nobody +
                                       (e.a ? " from " + task_ref(m, e.a) : std::string()),
                                   {}});
                }
            }
        }
        if (cause == wait_reason::join && e.a != 0) track(e.a).joined = true;
        if (!t.ready) {
            t.ready = true;
            t.ready_cause = cause;
            t.ready_tick = e.tick;
            t.ready_step = e.step;
            t.ready_ts = e.ts_ns;
            t.busy_at_ready = busy_ns;
            t.steps_at_ready = steps_done;
        }
        t.in_deadlock = false;
        if (running != 0 && running != e.task) tr[running].others_ready = true;
        break;
    }
    case event_kind::task_resume: {
        task_track& t = tr[e.task];
        if (t.ready && !t.starvation_reported) {
            // One long step ahead of it is the long-step lint's finding; starvation is what
            // the others add up to without the longest one.
            std::uint64_t ran = busy_ns - t.busy_at_ready;
            std::uint64_t longest = longest_since(t.steps_at_ready);
            std::uint64_t ahead = ran - std::min(ran, longest);
            if (e.tick > t.ready_tick + opt.starvation_ticks) {
                t.starvation_reported = true;
                out.push_back({lint_kind::starvation, e.step, e.task,
                               task_ref(m, e.task) + " was ready from tick " + std::to_string(t.ready_tick) +
                                   " (step " + std::to_string(t.ready_step) + ") and ran only in tick " +
                                   std::to_string(e.tick) + ": " + std::to_string(e.tick - t.ready_tick) +
                                   " ticks > " + std::to_string(opt.starvation_ticks),
                               {}});
            } else if (t.ready_cause != wait_reason::yield && t.ready_cause != wait_reason::spawn &&
                       ahead > opt.starvation_ns) {
                // Woken from a wait (a timer, IO, a channel...), it sat in the run queue while
                // other tasks' steps used the loop.
                t.starvation_reported = true;
                out.push_back({lint_kind::starvation, e.step, e.task,
                               task_ref(m, e.task) + " was woken (" + std::string(traces::to_string(t.ready_cause)) +
                                   ") at step " + std::to_string(t.ready_step) + " and ran only " +
                                   format_duration(e.ts_ns - t.ready_ts) + " later: " +
                                   std::to_string(steps_done - t.steps_at_ready) + " steps of other tasks ran " +
                                   format_duration(ran) + " ahead of it, " + format_duration(ahead) +
                                   " without the longest (limit " + format_duration(opt.starvation_ns) + ")",
                               {}});
            }
        }
        t.ready = false;
        t.running = true;
        t.resume_ts = e.ts_ns;
        t.resume_step = e.step;
        t.spawned_process = false;
        running = e.task;
        break;
    }
    case event_kind::task_suspend:
    case event_kind::task_exit: {
        task_track& t = tr[e.task];
        std::uint64_t d = e.ts_ns - t.resume_ts;
        if (t.running && d > opt.long_step_ns && !t.spawned_process) {
            out.push_back({lint_kind::long_step, t.resume_step, e.task,
                           "step " + std::to_string(t.resume_step) + " of " + task_ref(m, e.task) + " ran " +
                               format_duration(d) + " without yielding (limit " +
                               format_duration(opt.long_step_ns) + "): every other task waited",
                           {}});
        }
        if (t.running && !t.spawned_process) { // uv_spawn blocks by necessity, like for long-step
            while (!suffix_max.empty() && suffix_max.back().second <= d) suffix_max.pop_back();
            suffix_max.emplace_back(steps_done, d);
            busy_ns += d;
        }
        if (t.running) ++steps_done;
        if (e.kind == event_kind::task_exit) {
            const task_snapshot* before = s.task(e.task);
            bool first_step = before && before->steps == 1;
            if (t.running && first_step && d >= opt.never_yielding_ns && t.others_ready) {
                out.push_back({lint_kind::never_yielding, t.resume_step, e.task,
                               task_ref(m, e.task) + " ran its whole life in one step of " + format_duration(d) +
                                   " and never yielded while other tasks were ready",
                               {}});
            }
            auto status = static_cast<traces::exit_status>(e.code);
            t.exited = true;
            t.status = status;
            t.exit_step = e.step;
            if (status == traces::exit_status::failed) {
                t.failed = true;
                t.failed_error = e.a;
                t.failed_step = e.step;
                t.failed_ts = e.ts_ns;
                if (e.a != 0) thrown[e.a].push_back({e.task, e.ts_ns});
            }
            // Its children still alive outlive it: nobody owns them any more unless joined.
            for (std::uint32_t id : tr[e.task].children) {
                task_track& c = tr[id];
                const task_snapshot* cs = s.task(id);
                if (c.exited || !cs || c.orphaned) continue;
                c.orphaned = true;
                c.orphaned_step = e.step;
                c.orphaned_ts = e.ts_ns;
                c.state_at_orphan = cs->state;
            }
        } else if (static_cast<wait_reason>(e.code) == wait_reason::join) {
            track(e.a).joined = true;
        }
        t.running = false;
        t.others_ready = false;
        t.ready = false;
        t.wait_ts = e.ts_ns;
        t.wait_step = e.step;
        if (running == e.task) running = 0;
        break;
    }
    case event_kind::unobserved_failure:
        if (e.task != 0 && !tr[e.task].unobserved) {
            tr[e.task].unobserved = true;
            tr[e.task].unobserved_step = e.step;
            if (tr[e.task].failed_error == 0) tr[e.task].failed_error = e.a;
        }
        break;
    case event_kind::resource_open:
        if (static_cast<traces::resource_kind>(e.code) == traces::resource_kind::process && running != 0)
            tr[running].spawned_process = true;
        break;
    case event_kind::frame_exit:
        if (e.code != 0 && e.a != 0) thrown[e.a].push_back({e.task, e.ts_ns});
        break;
    default: break;
    }
    locks.apply(e, s);
    s.apply(e);
    if (e.kind == event_kind::task_resume && s.run_queue().size() > 0) tr[e.task].others_ready = true;
    if (e.kind == event_kind::task_suspend) {
        auto r = static_cast<wait_reason>(e.code);
        if (r == wait_reason::join || r == wait_reason::mutex || r == wait_reason::semaphore) {
            wait_cycle c = cycle_through(s, locks, e.task);
            if (!c.awaits.empty()) {
                std::vector<std::uint32_t> key = c.tasks();
                std::sort(key.begin(), key.end());
                for (std::uint32_t id : key) tr[id].in_deadlock = true;
                if (cycles_reported.insert(key).second) {
                    std::string why = "deadlock: " + std::to_string(key.size()) + " tasks wait on each other: ";
                    for (std::size_t i = 0; i < c.awaits.size(); ++i) {
                        const cycle_await& a = c.awaits[i];
                        if (i) why += "; ";
                        why += task_ref(m, a.task) + " waits (" + describe_await(m, a.reason, a.target) + ")";
                        if (a.reason == wait_reason::mutex || a.reason == wait_reason::semaphore)
                            why += " held by task " + std::to_string(a.next);
                    }
                    out.push_back({lint_kind::deadlock, e.step, e.task, why, c});
                }
            }
        }
    }
}

wait_graph lint_builder::graph() const { return build_wait_graph(m_state->s, m_state->locks); }

std::vector<lint_finding> lint_builder::result(const model& m) const {
    std::vector<lint_finding> out = m_state->out;
    end_findings(m, out);
    std::stable_sort(out.begin(), out.end(), [](const lint_finding& a, const lint_finding& b) { return a.step < b.step; });
    return out;
}

bool lint_builder::publishing() const { return m_state->pending.active; }

bool lint_builder::publish(const model& m, std::vector<lint_finding>& out, std::chrono::steady_clock::time_point deadline) {
    state& st = *m_state;
    if (out.size() != st.published_size || st.published_order.size() != out.size()) { // not the last publication
        out.clear();
        st.published_order.clear();
        st.published_records.clear();
        st.published_fold = 0;
        st.published_size = 0;
        st.reset_pending();
    }
    if (!st.pending.active) st.begin_publication(m);
    // The findings are made a few between looks at the clock: each is a sentence (a few us).
    constexpr std::size_t per_look = 16;
    state::pending_publication& p = st.pending;
    while (p.made < p.added.size()) {
        for (std::size_t k = 0; k < per_look && p.made < p.added.size(); ++k, ++p.made) {
            const end_record& r = p.records[p.added[p.made]];
            p.fresh.push_back({state::order{r.step, true, r.group, r.task, 0}, end_finding(m, r)});
        }
        if (p.made < p.added.size() && std::chrono::steady_clock::now() >= deadline) return false;
    }
    st.end_publication(out);
    return true;
}

void lint_builder::state::begin_publication(const model& m) {
    reset_pending();
    pending_publication& p = pending;
    p.active = true;
    // The end's findings again, as records: only those that changed are made and placed again.
    p.records.reserve(tr.size());
    end_records(m, p.records);
    std::sort(p.records.begin(), p.records.end(), [](const end_record& a, const end_record& b) { return a.before(b); });
    const std::vector<end_record>& old = published_records;
    std::size_t i = 0, j = 0;
    while (i < old.size() || j < p.records.size()) {
        if (j == p.records.size() || (i < old.size() && old[i].before(p.records[j]))) {
            p.gone.push_back(old[i++]);
        } else if (i == old.size() || p.records[j].before(old[i])) {
            p.added.push_back(j++);
        } else {
            if (!(old[i] == p.records[j])) {
                p.gone.push_back(old[i]);
                p.added.push_back(j);
            }
            ++i;
            ++j;
        }
    }
    // The fold's findings since the last publish (copies: the fold keeps its own).
    p.fold_end = out.size();
    p.fresh.reserve(p.fold_end - published_fold + p.added.size());
    for (std::size_t k = published_fold; k < p.fold_end; ++k) p.fresh.push_back({order{out[k].step, false, 0, 0, k}, out[k]});
}

void lint_builder::state::end_publication(std::vector<lint_finding>& shown) {
    pending_publication& p = pending;
    if (!p.gone.empty()) { // take them out, keeping the order of the rest
        auto is_gone = [&](const order& o) {
            return o.end && std::binary_search(p.gone.begin(), p.gone.end(), end_record{o.group, o.task},
                                               [](const end_record& a, const end_record& b) { return a.before(b); });
        };
        std::size_t kept = 0;
        for (std::size_t i = 0; i < shown.size(); ++i) {
            if (is_gone(published_order[i])) continue;
            if (kept != i) {
                shown[kept] = std::move(shown[i]);
                published_order[kept] = published_order[i];
            }
            ++kept;
        }
        shown.resize(kept);
        published_order.resize(kept);
    }
    // Each new finding at its place in run_lints' order (a stable sort by step of the fold's
    // findings, then the end's); sorted as indices, so that a finding moves once.
    std::vector<std::uint32_t> by_order(p.fresh.size());
    for (std::size_t k = 0; k < by_order.size(); ++k) by_order[k] = static_cast<std::uint32_t>(k);
    std::sort(by_order.begin(), by_order.end(), [&](std::uint32_t a, std::uint32_t b) { return p.fresh[a].first < p.fresh[b].first; });
    if (!by_order.empty() && !shown.empty() && p.fresh[by_order.front()].first < published_order.back()) {
        std::vector<lint_finding> merged;
        std::vector<order> merged_order;
        merged.reserve(shown.size() + by_order.size());
        merged_order.reserve(shown.size() + by_order.size());
        std::size_t i = 0, j = 0;
        while (i < shown.size() || j < by_order.size()) {
            if (j < by_order.size() && (i == shown.size() || p.fresh[by_order[j]].first < published_order[i])) {
                auto& [o, f] = p.fresh[by_order[j++]];
                merged_order.push_back(o);
                merged.push_back(std::move(f));
            } else {
                merged_order.push_back(published_order[i]);
                merged.push_back(std::move(shown[i++]));
            }
        }
        shown.swap(merged);
        published_order.swap(merged_order);
    } else { // the usual case live: all after what was published
        for (std::uint32_t k : by_order) {
            auto& [o, f] = p.fresh[k];
            published_order.push_back(o);
            shown.push_back(std::move(f));
        }
    }
    published_fold = p.fold_end;
    published_records.swap(p.records); // the old ones' memory takes the next publication's records
    published_size = shown.size();
    reset_pending();
}

namespace {

// The name string id of a task (0: none; the sentence then says "task N").
std::uint64_t name_id(const model& m, std::uint32_t task) {
    const task_history* t = m.history().task(task);
    return t ? t->name : 0;
}

lint_finding end_finding(const model& m, const end_record& r) {
    const std::uint32_t id = r.task;
    switch (r.group) {
    case 0: { // in: error text, unobserved_failure step, name, format >= 1.1
        std::string why = task_ref(m, id) + " failed (" + (r.in[0] ? std::string(m.text(r.in[0])) : std::string("no text")) + ")";
        why += r.in[3] ? " and nobody read the exception: no join handle was left (unobserved_failure at step " +
                             std::to_string(r.in[1]) + ")"
                       : std::string(" and nobody joined it: the exception was never observed");
        return {lint_kind::swallowed_exception, r.step, id, std::move(why), {}};
    }
    case 1: { // in: state when orphaned, parent, parent's name, exit step, name
        const auto parent = static_cast<std::uint32_t>(r.in[1]);
        return {lint_kind::leaked_task, r.step, id,
                task_ref(m, id) + " was still " + std::string(to_string(static_cast<task_state>(r.in[0]))) +
                    " when its parent " + task_ref(m, parent) + " ended at step " + std::to_string(r.step) +
                    ", and nobody ever joined it: it ran unowned until step " + std::to_string(r.in[3]),
                {}};
    }
    default: { // in: state, wait reason, target, wait step, name, the target's name (joins)
        const auto state = static_cast<task_state>(r.in[0]);
        const auto reason = static_cast<wait_reason>(r.in[1]);
        const auto target = static_cast<std::uint32_t>(r.in[2]);
        if (r.kind == lint_kind::lost_wakeup)
            return {lint_kind::lost_wakeup, r.step, id,
                    task_ref(m, id) + " still waits (" + describe_await(m, reason, target) + ") at the end of the trace, since step " +
                        std::to_string(r.in[3]) + ": nothing is left to signal it",
                    {}};
        return {lint_kind::leaked_task, r.step, id,
                task_ref(m, id) + " is still " +
                    (state == task_state::waiting ? describe_await(m, reason, target) : std::string(to_string(state))) +
                    " at the end of the trace and nobody joins it",
                {}};
    }
    }
}

} // namespace

void lint_builder::state::end_records(const model& m, std::vector<end_record>& out) const {
    const history& h = m.history();
    // "At the end of the trace" is said of the fold's state only once it took every event of an
    // ended trace (before that its tasks are where they were mid-trace).
    const bool ended = h.ended() && next >= m.trace().events.size();
    // Swallowed exceptions. Since format 1.1 the scheduler says it: unobserved_failure names each
    // failed task whose exception nobody can read any more (no join handle left), so no guessing.
    if (has_unobserved_failure_events(m.trace().header)) {
        for (std::uint32_t id = 1; id < tr.size(); ++id) {
            const task_track& t = tr[id];
            if (!t.unobserved) continue;
            out.push_back({0, id, lint_kind::swallowed_exception, t.failed ? t.failed_step : t.unobserved_step,
                           {t.failed_error, t.unobserved_step, name_id(m, id), 1, 0, 0}});
        }
    } else if (ended) {
        // Format 1.0: a failure is observed when somebody joined the task, or when the same
        // exception text later left a frame of another task (a joiner rethrowing it).
        for (std::uint32_t id = 1; id < tr.size(); ++id) {
            const task_track& t = tr[id];
            if (!t.failed || t.joined) continue;
            bool rethrown = false;
            if (auto it = thrown.find(t.failed_error); it != thrown.end())
                for (const auto& [task, ts] : it->second) rethrown = rethrown || (task != id && ts >= t.failed_ts);
            if (rethrown) continue;
            out.push_back({0, id, lint_kind::swallowed_exception, t.failed_step, {t.failed_error, 0, name_id(m, id), 0, 0, 0}});
        }
    }
    // Leaked while the program ran: a task its parent left behind (alive when the parent ended),
    // that nobody joined, and that ended on its own later. A cancelled one was told to stop.
    for (std::uint32_t id = 1; id < tr.size(); ++id) {
        const task_track& t = tr[id];
        if (!t.orphaned || t.joined || !t.exited || t.status == traces::exit_status::cancelled) continue;
        out.push_back({1, id, lint_kind::leaked_task, t.orphaned_step,
                       {static_cast<std::uint64_t>(t.state_at_orphan), t.parent, name_id(m, t.parent), t.exit_step,
                        name_id(m, id), 0}});
    }
    if (ended) {
        std::set<std::uint32_t> joined_at_end;
        for (const task_snapshot& t : s.tasks())
            if (t.known && t.state == task_state::waiting && t.reason == wait_reason::join) joined_at_end.insert(t.target);
        for (const task_snapshot& t : s.tasks()) {
            if (!t.known || t.state == task_state::done) continue;
            const task_track& tt = tr[t.id];
            if (tt.in_deadlock) continue;
            const std::uint64_t target_name = t.reason == wait_reason::join ? name_id(m, t.target) : 0;
            const std::array<std::uint64_t, 6> in{static_cast<std::uint64_t>(t.state), static_cast<std::uint64_t>(t.reason),
                                                  t.target, tt.wait_step, name_id(m, t.id), target_name};
            if (t.state == task_state::waiting && is_object_wait(t.reason)) {
                out.push_back({2, t.id, lint_kind::lost_wakeup, m.step_count(), in});
                continue;
            }
            if (!joined_at_end.count(t.id)) out.push_back({2, t.id, lint_kind::leaked_task, m.step_count(), in});
        }
    }
}

void lint_builder::end_findings(const model& m, std::vector<lint_finding>& out) const {
    std::vector<end_record> records;
    m_state->end_records(m, records);
    for (const end_record& r : records) out.push_back(end_finding(m, r));
}

std::vector<lint_finding> run_lints(const model& m, const lint_options& opt) {
    lint_builder b(opt);
    b.feed(m, m.trace().events.size());
    return b.result(m);
}

} // namespace coroscope::inspector

namespace coroscope::inspector {

std::string lints_text(const model& m, const std::vector<lint_finding>& findings) {
    (void)m;
    std::string out;
    for (const lint_finding& f : findings)
        out += std::string(to_string(f.kind)) + "  step " + std::to_string(f.step) + "  task " + std::to_string(f.task) +
               "  " + f.why + "\n";
    out += std::to_string(findings.size()) + (findings.size() == 1 ? " finding\n" : " findings\n");
    return out;
}

nlohmann::json lints_json(const model& m, const std::vector<lint_finding>& findings) {
    nlohmann::json out = nlohmann::json::array();
    for (const lint_finding& f : findings) {
        nlohmann::json j = {{"kind", std::string(to_string(f.kind))}, {"step", f.step}, {"task", f.task},
                            {"name", m.task_name(f.task)}, {"why", f.why}};
        if (!f.cycle.awaits.empty()) {
            nlohmann::json cycle = nlohmann::json::array();
            for (const cycle_await& a : f.cycle.awaits)
                cycle.push_back({{"task", a.task}, {"name", m.task_name(a.task)},
                                 {"reason", std::string(traces::to_string(a.reason))}, {"target", a.target}, {"next", a.next}});
            j["cycle"] = cycle;
        }
        out.push_back(std::move(j));
    }
    return {{"findings", out}, {"count", findings.size()}};
}

} // namespace coroscope::inspector
