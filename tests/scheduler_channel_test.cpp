// channel<T>: FIFO order, back-pressure, hand-off, close with waiters, cancellation of waiters.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using coroscope::channel;
using coroscope::task;
using coroscope::traces::event_kind;
using coroscope::traces::wait_reason;
using test_support::count_waits;
using test_support::live_counter;
using test_support::run_recorded;

namespace {

task<void> produce(channel<int>& ch, int from, int count, std::vector<std::string>& log) {
    live_counter alive;
    for (int i = from; i < from + count; ++i) {
        co_await ch.send(i);
        log.push_back("sent " + std::to_string(i));
    }
}

task<void> consume_all(channel<int>& ch, std::vector<int>& got) {
    live_counter alive;
    while (auto v = co_await ch.recv()) got.push_back(*v);
}

task<void> receive_one(channel<int>& ch, std::vector<std::string>& log, std::string name) {
    live_counter alive;
    auto v = co_await ch.recv();
    log.push_back(name + (v ? " got " + std::to_string(*v) : " got nothing"));
}

task<void> send_one(channel<int>& ch, int value, std::vector<std::string>& log) {
    live_counter alive;
    try {
        co_await ch.send(value);
        log.push_back("sent " + std::to_string(value));
    } catch (const coroscope::channel_closed&) {
        log.push_back("closed " + std::to_string(value));
    }
}

} // namespace

TEST_CASE("channel FIFO order") {
    std::vector<int> got;
    std::vector<std::string> log;
    std::uint32_t channel_id = 0;
    auto result = run_recorded([&]() -> task<void> {
        channel<int> ch(3);
        channel_id = ch.id();
        auto consumer = coroscope::spawn(consume_all(ch, got), "consumer");
        auto producer = coroscope::spawn(produce(ch, 0, 20, log), "producer");
        co_await producer;
        ch.close();
        co_await consumer;
    });
    std::vector<int> expected;
    for (int i = 0; i < 20; ++i) expected.push_back(i);
    CHECK(got == expected);
    CHECK(channel_id != 0);
    CHECK(count_waits(result.trace, wait_reason::channel, channel_id, 2) > 0); // the consumer waited on the channel
    CHECK(live_counter::live == 0);
    CHECK(result.live_tasks_after_run == 0);
    CHECK(result.loop_close == 0);
}

TEST_CASE("channel waiting receivers are served first come, first served, by direct hand-off") {
    std::vector<std::string> log;
    auto result = run_recorded([&]() -> task<void> {
        channel<int> ch; // unbounded
        auto a = coroscope::spawn(receive_one(ch, log, "a"), "a");
        auto b = coroscope::spawn(receive_one(ch, log, "b"), "b");
        auto c = coroscope::spawn(receive_one(ch, log, "c"), "c");
        co_await coroscope::yield(); // all three now wait
        CHECK(ch.waiting_receivers() == 3);
        for (int v : {10, 20, 30}) CHECK(ch.try_send(v));
        CHECK(ch.size() == 0); // handed straight to the receivers, nothing buffered
        co_await a;
        co_await b;
        co_await c;
    });
    CHECK(log == std::vector<std::string>{"a got 10", "b got 20", "c got 30"});
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}

TEST_CASE("bounded channel back-pressure: the sender waits while the channel is full") {
    std::vector<std::string> log;
    std::uint32_t channel_id = 0;
    auto result = run_recorded([&]() -> task<void> {
        channel<int> ch(2);
        channel_id = ch.id();
        auto producer = coroscope::spawn(produce(ch, 1, 4, log), "producer");
        co_await coroscope::yield();
        co_await coroscope::yield();
        // Two values fit; the third send waits.
        CHECK(log == std::vector<std::string>{"sent 1", "sent 2"});
        CHECK(ch.size() == 2);
        CHECK(ch.waiting_senders() == 1);
        CHECK_FALSE(ch.try_send(99));
        CHECK(*ch.try_recv() == 1); // frees a slot: the waiting sender's 3 moves in at once
        CHECK(ch.size() == 2);
        CHECK(ch.waiting_senders() == 0);
        // (No co_await inside CHECK: Catch's macro mentions its expression twice and g++ 12
        // evaluates a co_await even in the dead half of `false && ...`.)
        std::vector<int> rest;
        for (int i = 0; i < 3; ++i) rest.push_back(*co_await ch.recv());
        CHECK(rest == std::vector<int>{2, 3, 4});
        co_await producer;
    });
    CHECK(log == std::vector<std::string>{"sent 1", "sent 2", "sent 3", "sent 4"});
    CHECK(count_waits(result.trace, wait_reason::channel, channel_id, 2) >= 1); // the producer's wait is in the trace
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}

TEST_CASE("channel close with waiters") {
    std::vector<std::string> log;
    auto result = run_recorded([&]() -> task<void> {
        channel<int> full(1), empty(1);
        CHECK(full.try_send(1));
        auto s1 = coroscope::spawn(send_one(full, 2, log), "sender 2");
        auto s2 = coroscope::spawn(send_one(full, 3, log), "sender 3");
        auto r1 = coroscope::spawn(receive_one(empty, log, "r1"), "r1");
        auto r2 = coroscope::spawn(receive_one(empty, log, "r2"), "r2");
        co_await coroscope::yield();
        CHECK(full.waiting_senders() == 2);
        CHECK(empty.waiting_receivers() == 2);
        full.close();
        empty.close();
        co_await s1;
        co_await s2;
        co_await r1;
        co_await r2;
        // Buffered values survive the close; then recv ends cleanly.
        auto first = co_await full.recv();
        auto second = co_await full.recv();
        CHECK(first == std::optional<int>(1));
        CHECK_FALSE(second.has_value());
        CHECK_FALSE(full.try_send(4));
        CHECK_THROWS_AS(co_await full.send(5), coroscope::channel_closed);
    });
    CHECK(log == std::vector<std::string>{"closed 2", "closed 3", "r1 got nothing", "r2 got nothing"});
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}

TEST_CASE("channel cancellation while waiting in recv removes the waiter") {
    std::vector<std::string> log;
    auto result = run_recorded([&]() -> task<void> {
        channel<int> ch;
        auto victim = coroscope::spawn(receive_one(ch, log, "victim"), "victim");
        auto other = coroscope::spawn(receive_one(ch, log, "other"), "other");
        co_await coroscope::yield();
        CHECK(ch.waiting_receivers() == 2);
        victim.cancel();
        CHECK(ch.waiting_receivers() == 1);
        CHECK_THROWS_AS(co_await victim, coroscope::cancelled);
        co_await ch.send(7); // goes to "other", never to the cancelled task
        co_await other;
    });
    CHECK(log == std::vector<std::string>{"other got 7"});
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}

TEST_CASE("channel cancellation while waiting in send removes the waiter") {
    std::vector<std::string> log;
    auto result = run_recorded([&]() -> task<void> {
        channel<int> ch(1);
        co_await ch.send(1);
        auto victim = coroscope::spawn(send_one(ch, 2, log), "victim");
        auto other = coroscope::spawn(send_one(ch, 3, log), "other");
        co_await coroscope::yield();
        CHECK(ch.waiting_senders() == 2);
        victim.cancel();
        CHECK(ch.waiting_senders() == 1);
        CHECK_THROWS_AS(co_await victim, coroscope::cancelled);
        auto first = co_await ch.recv();
        auto second = co_await ch.recv();
        CHECK(first == std::optional<int>(1));
        CHECK(second == std::optional<int>(3)); // the cancelled sender's 2 never arrives
        co_await other;
        CHECK(ch.size() == 0);
    });
    CHECK(log == std::vector<std::string>{"sent 3"});
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}

TEST_CASE("channel receiver cancelled after a hand-off gives the value back") {
    std::vector<std::string> log;
    auto result = run_recorded([&]() -> task<void> {
        channel<int> ch(4);
        auto victim = coroscope::spawn(receive_one(ch, log, "victim"), "victim");
        co_await coroscope::yield();
        CHECK(ch.try_send(5)); // handed to the victim, which is now ready but has not run
        CHECK(ch.size() == 0);
        victim.cancel();
        CHECK_THROWS_AS(co_await victim, coroscope::cancelled);
        CHECK(ch.size() == 1);
        CHECK(*ch.try_recv() == 5);
    });
    CHECK(log.empty());
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}

TEST_CASE("channel of move-only values, and frames of tasks stuck on a channel are freed") {
    auto result = run_recorded([&]() -> task<void> {
        channel<std::unique_ptr<int>> ch(1);
        co_await ch.send(std::make_unique<int>(3));
        auto v = co_await ch.recv();
        CHECK(**v == 3);
    });
    CHECK(result.loop_close == 0);

    channel<int> forever; // outlives the scheduler: its stuck receiver's frame is destroyed first
    std::vector<std::string> log;
    auto stuck = run_recorded([&]() -> task<void> { co_await receive_one(forever, log, "stuck"); });
    CHECK(stuck.stuck);
    CHECK(forever.waiting_receivers() == 0);
    CHECK(live_counter::live == 0);
    CHECK(stuck.loop_close == 0);
}
