#pragma once
// Everything a program on the Coroscope scheduler needs.
#include <coroscope/cancel.hpp>
#include <coroscope/channel.hpp>
#include <coroscope/event.hpp>
#include <coroscope/join_handle.hpp>
#include <coroscope/mutex.hpp>
#include <coroscope/run.hpp>
#include <coroscope/scheduler.hpp>
#include <coroscope/semaphore.hpp>
#include <coroscope/sleep.hpp>
#include <coroscope/spawn.hpp>
#include <coroscope/task.hpp>
#include <coroscope/task_group.hpp>
#include <coroscope/timeout.hpp>
#include <coroscope/yield.hpp>
