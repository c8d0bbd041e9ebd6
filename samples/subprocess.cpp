// sample-subprocess: talks to child processes over pipes.
//
//   main ─┬─ cat: spawn /bin/cat ─┬─ "feeder" writes N lines to its stdin, then closes it (EOF)
//         │                       └─ main reads the lines back from its stdout, then awaits exit 0
//         └─ shell: /bin/sh -c 'read x; echo "got $x"; exit 7' ── one line in, one line out, exit 7
//
//   sample-subprocess [--lines N]      (default 10)
#include <coroscope/coroscope.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

using coroscope::pipe_stream;
using coroscope::process;
using coroscope::task;

namespace sample {

task<void> feed(pipe_stream& in, int lines) {
    for (int i = 0; i < lines; ++i) {
        co_await in.write("line " + std::to_string(i) + "\n");
        co_await coroscope::yield(); // interleave with the reader
    }
    co_await in.close(); // cat sees end of file and exits
}

task<std::string> read_to_end(pipe_stream& out) {
    std::string all;
    char buffer[256];
    for (;;) {
        std::size_t n = co_await out.read_some(buffer);
        if (n == 0) break;
        all += std::string_view(buffer, n);
    }
    co_return all;
}

task<bool> talk_to_cat(int lines) {
    process cat = process::spawn("/bin/cat");
    auto feeder = coroscope::spawn(feed(cat.stdin_pipe(), lines), "feeder");
    std::string echoed = co_await read_to_end(cat.stdout_pipe());
    co_await feeder;
    int code = co_await cat.wait();
    std::string expected;
    for (int i = 0; i < lines; ++i) expected += "line " + std::to_string(i) + "\n";
    std::printf("cat (pid %d) echoed %zu bytes, exit code %d\n", cat.pid(), echoed.size(), code);
    co_return echoed == expected && code == 0;
}

task<bool> talk_to_shell() {
    process shell = process::spawn("/bin/sh", {"-c", "read x; echo \"got $x\"; exit 7"});
    co_await shell.stdin_pipe().write("hello\n");
    std::string answer = co_await read_to_end(shell.stdout_pipe());
    int code = co_await shell.wait();
    std::printf("sh answered \"%s\" and exited with %d\n", answer.substr(0, answer.size() - 1).c_str(), code);
    co_return answer == "got hello\n" && code == 7;
}

task<int> main_task(int lines) {
    auto cat = coroscope::spawn(talk_to_cat(lines), "cat");
    auto shell = coroscope::spawn(talk_to_shell(), "shell");
    bool ok = co_await cat;
    ok = co_await shell && ok;
    co_return ok ? 0 : 1;
}

} // namespace sample

int main(int argc, char** argv) {
    int lines = 10;
    if (argc == 3 && std::string(argv[1]) == "--lines") lines = std::atoi(argv[2]);
    else if (argc != 1) {
        std::fprintf(stderr, "usage: %s [--lines N]\n", argv[0]);
        return 2;
    }
    return coroscope::run(sample::main_task(lines), "main");
}
