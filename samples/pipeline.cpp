// sample-pipeline: a producer, three stages and a consumer joined by bounded channels.
//
//   producer ─ch(4)─> parse ─ch(2)─> square ×2 workers ─ch(2)─> checksum ─ch(1)─> consumer
//
// Each stage takes a little (pseudo-random) time per item, so the bounded channels fill up and the
// senders wait (wait reason: channel) — back-pressure the inspector shows. Closing a channel is how
// a stage says "no more": the next stage's recv() then gives nullopt once it is drained. The two
// "square" workers form a task_group; the channel after them is closed when the group is done.
//
//   sample-pipeline [--seed N] [--items N]     exits 0 when the consumer saw every item
#include <coroscope/coroscope.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

using namespace std::chrono_literals;
using coroscope::channel;
using coroscope::task;

namespace sample {

struct item {
    int sequence = 0;
    long value = 0;
};

std::mt19937_64 rng; // the sample's own choices (delays); --seed sets it

std::chrono::microseconds jitter(int max_us) { return std::chrono::microseconds(rng() % static_cast<unsigned>(max_us)); }

task<void> producer(channel<std::string>& out, int items) {
    for (int i = 0; i < items; ++i) {
        co_await out.send("item-" + std::to_string(i));
        if (i % 4 == 3) co_await coroscope::sleep_for(jitter(500));
    }
    out.close();
}

task<item> parse_one(const std::string& text) {
    co_await coroscope::yield(); // "parsing" takes a step
    item it;
    it.sequence = std::atoi(text.c_str() + std::strlen("item-"));
    it.value = it.sequence + 1;
    co_return it;
}

task<void> parse(channel<std::string>& in, channel<item>& out) {
    while (auto text = co_await in.recv()) co_await out.send(co_await parse_one(*text));
    out.close();
}

task<void> square(channel<item>& in, channel<item>& out) {
    while (auto it = co_await in.recv()) {
        co_await coroscope::sleep_for(jitter(800));
        it->value *= it->value;
        co_await out.send(*it);
    }
}

task<void> square_stage(channel<item>& in, channel<item>& out) {
    coroscope::task_group workers;
    workers.spawn(square(in, out), "square 1");
    workers.spawn(square(in, out), "square 2");
    co_await workers.wait();
    out.close();
}

task<void> checksum(channel<item>& in, channel<item>& out) {
    while (auto it = co_await in.recv()) {
        it->value = it->value % 1000003;
        co_await out.send(*it);
    }
    out.close();
}

task<int> consumer(channel<item>& in, int items) {
    int seen = 0;
    long total = 0;
    while (auto it = co_await in.recv()) {
        ++seen;
        total += it->value;
        co_await coroscope::sleep_for(jitter(300));
    }
    long expected = 0;
    for (long i = 1; i <= items; ++i) expected += (i * i) % 1000003;
    std::printf("consumer: %d items, total %ld (expected %ld)\n", seen, total, expected);
    co_return seen == items && total == expected ? 0 : 1;
}

task<int> main_task(int items) {
    channel<std::string> raw(4);
    channel<item> parsed(2), squared(2), checked(1);
    auto p = coroscope::spawn(producer(raw, items), "producer");
    auto a = coroscope::spawn(parse(raw, parsed), "parse");
    auto b = coroscope::spawn(square_stage(parsed, squared), "square stage");
    auto c = coroscope::spawn(checksum(squared, checked), "checksum");
    auto d = coroscope::spawn(consumer(checked, items), "consumer");
    co_await p;
    co_await a;
    co_await b;
    co_await c;
    co_return co_await d;
}

} // namespace sample

int main(int argc, char** argv) {
    unsigned long long seed = 1;
    int items = 40;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--seed") == 0 && i + 1 < argc) seed = std::strtoull(argv[++i], nullptr, 10);
        else if (std::strcmp(argv[i], "--items") == 0 && i + 1 < argc) items = std::atoi(argv[++i]);
        else {
            std::fprintf(stderr, "usage: %s [--seed N] [--items N]\n", argv[0]);
            return 64;
        }
    }
    sample::rng.seed(seed);
    return coroscope::run(sample::main_task(items), "main");
}
