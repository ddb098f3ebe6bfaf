package server

import (
	"runtime"
	"syscall"
	"time"
)

// Arrival order across event loops.
//
// A client that sends a command on one connection and then another on a
// second connection expects them to run in that order: Redis's single
// event loop takes ready sockets in the order their data arrived, and
// clients and test suites rely on it ("BRPOPLPUSH on one connection, then
// LPUSH on another": the pusher must find the popper blocked). With one
// epoll instance per loop, a loop parked in Go's poller wakes tens of
// microseconds after its data arrives, while a loop that is already awake
// may take a later command on another connection and run it first: the
// popper then blocks for ever, or a message is published before the
// subscription it was sent after.
//
// So before a loop runs a batch it waits, in two rounds:
//
//   - for every other loop parked between batches (one atomic load each;
//     nothing more when none is) whose epoll set already holds ready
//     connections: that data most likely arrived before this batch (the
//     other loop is still waking up for it), so this loop waits until the
//     other has run its batch. The look costs one epoll_wait with a zero
//     timeout on the other loop's descriptor; level-triggered readiness
//     is reported again to that loop, so the look takes nothing from it.
//     (Skipping this round for a loop that has itself just woken from
//     parking, on the idea that the loop whose data came first wakes
//     first, made it worse: about 60 % overtaken.)
//   - then it takes a ticket (a global counter, once per batch) and waits
//     for every loop holding an older ticket whose batch has not finished
//     its first step: that loop took its batch first, but this one could
//     otherwise overtake it.
//
// Epoll does not say when data arrived, so this is the likely order, not
// a proof: measured with a client that sends BRPOPLPUSH on one connection
// and LPUSH on another right after, on two loops, the pusher overtook the
// popper in about half the tries without it, and in a few percent with it.
//
// All this only while the server has at most orderMaxConns connections.
// It is for clients that coordinate their connections (test suites, a
// worker that blocks on one connection while the app pushes on another),
// which hold a few; with 50 benchmark clients at pipeline 1 on two loops,
// the other loop was parked with data at every fourth batch, and the
// look and the waits cost 10 % of the throughput and 12 % more CPU per
// request (redis-benchmark GET and SET, ABBA against the build without).
//
// Waits are bounded by orderWaitMax, in case the other loop cannot run.
// They cannot form a cycle: a loop waiting in the first round is neither
// parked nor holding a ticket, and the second round only waits for older
// tickets. Busy loops stay independent: under load no loop parks, and the
// second round waits at most for one step of the other loop; arrival
// order between connections served concurrently under load is not
// something a client can observe from Redis either.
const (
	// orderSpin is how long a loop yields its processor before sleeping
	// while it waits: another processor, when one is idle, wakes the
	// parked loop within a few microseconds.
	orderSpin = 20 * time.Microsecond
	// orderWaitMax bounds the wait for a loop that does not run (its
	// goroutine descheduled, or a step the watchdog has not taken over
	// yet).
	orderWaitMax = 2 * time.Millisecond
	// orderMaxConns: see above.
	orderMaxConns = 32
)

// awaitEarlier runs both rounds before this loop's batch, and leaves the
// batch's ticket in l.firstStep until its first step ends.
func (l *loop) awaitEarlier(scratch []syscall.EpollEvent) {
	for _, o := range l.s.loops {
		if o == l || !o.parked.Load() {
			continue
		}
		before := o.batches.Load()
		if n, _ := rawEpollWait(o.epfd, scratch[:1], 0); n > 0 {
			l.orderWait(o, func() bool { return o.batches.Load() != before })
		}
	}
	t := l.s.loopTickets.Add(1)
	l.firstStep.Store(t)
	for _, o := range l.s.loops {
		if o == l {
			continue
		}
		if ot := o.firstStep.Load(); ot != 0 && ot < t {
			l.orderWait(o, func() bool { return o.firstStep.Load() != ot })
		}
	}
}

// orderWait waits until done reports true, o stops, or orderWaitMax.
func (l *loop) orderWait(o *loop, done func() bool) {
	start := time.Now()
	for !done() && !o.closing.Load() {
		waited := time.Since(start)
		switch {
		case waited > orderWaitMax:
			return
		case waited < orderSpin:
			runtime.Gosched()
		default:
			// Gosched alone keeps this goroutine at the head of the run
			// queue: the scheduler polls the network only when it has
			// nothing else to run, so give it nothing.
			time.Sleep(orderSpin)
		}
	}
}
