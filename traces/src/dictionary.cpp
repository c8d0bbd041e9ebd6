#include "dictionary.hpp"

namespace coroscope::traces::binary {

namespace {

// Dictionary 1 (format 1.4), frozen: files written with it must decode forever, so its bytes never
// change; a better vocabulary becomes dictionary 2 and this one stays. Written by hand from
// Coroscope's own vocabulary only: what the scheduler itself names (its coroutine frames as GCC 12's
// std::source_location spells them, its headers' paths, the labels it gives tasks and resources),
// the source tree's layout ("samples/", ".cpp:") and generic C++ spellings that any program's frame
// names use. Nothing from the samples (no sample function, namespace or task name) and nothing
// learned from traces. zstd uses it as raw content: a block may copy from it as if it preceded the
// block's first byte; later bytes are nearer, so the most frequent pieces come last.
constexpr std::string_view coroscope_1 =
    "const char*std::size_tuint64_tstd::span<char>std::optional<int>std::vector<int>const std::string&std::string"
    "std::__cxx11::basic_string<char> >std::chrono::millisecondsstd::chrono::nanoseconds"
    "std::chrono::duration<_Rep1, _Period1>std::ratio<1, 1000>long intlong unsigned intstd::shared_ptr<"
    "(int, int)(int)()bool&int& [with T = void] [with T = static "
    "process /bin/ (pid pipe stdin of pipe stdout of pipe stderr of "
    "tcp listen 127.0.0.1:tcp -> 127.0.0.1: -> 127.0.0.1:"
    "task cancelledoperation timed outwith_timeout timerwith_timeoutmain"
    "coroscope::mutex&coroscope::event&coroscope::semaphore&coroscope::tcp_stream"
    "coroscope::tcp_listener&coroscope::pipe_stream&coroscope::join_handle<void>&"
    "coroscope::task_group&coroscope::channel<int>coroscope::channel<coroscope::mutex::guard"
    "coroscope::task<void> coroscope::stream::read_exact(std::span<char>, std::size_t)scheduler/src/stream.cpp:"
    "coroscope::task<decltype (coroscope::detail::awaiter_of(declval<Operation>()).await_resume())> "
    "coroscope::with_timeout(std::chrono::duration<_Rep1, _Period1>, Operation) [with Rep = long int; "
    "Period = std::ratio<1, 1000>; Operation = "
    "; decltype (detail::awaiter_of(declval<Operation>()).await_resume()) = "
    "coroscope::task<T> coroscope::detail::timeout_operation(A, std::shared_ptr<timeout_race>) [with R = "
    "scheduler/include/coroscope/timeout.hpp:"
    "coroscope::task<void> coroscope::detail::timeout_timer(std::chrono::nanoseconds, std::shared_ptr<timeout_race>)"
    "static coroscope::task<void> coroscope::task_group::member(coroscope::task<T>, std::shared_ptr<state>) "
    "[with T = void]scheduler/include/coroscope/task_group.hpp:task_group::wait"
    "samples/.cpp:coroscope::task<bool> coroscope::task<long unsigned int> coroscope::task<int> "
    "coroscope::task<void> ";

} // namespace

std::string_view builtin_dictionary(std::uint64_t id) {
    switch (id) {
    case dictionary_coroscope_1: return coroscope_1;
    default: return {};
    }
}

} // namespace coroscope::traces::binary
