package semregistry_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/forkscan/forkscan/semregistry"
)

// Two holders share a semaphore of capacity 2, as two worker processes
// would. The capacity holds: a request beyond it waits, as in
// x/sync/semaphore. What x/sync has no word for is a holder's death:
// ReleaseAll gives back everything the dead holder held, and the request
// that waited is granted before ReleaseAll returns, with no goroutine in
// between.
func Example() {
	reg, err := semregistry.New(semregistry.Config{Capacities: map[string]int64{"db": 2}})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	const alice, bob semregistry.Holder = 1, 2
	if err := reg.Acquire(ctx, alice, "db", 1, 0); err != nil {
		fmt.Println(err)
		return
	}
	if err := reg.Acquire(ctx, bob, "db", 1, 0); err != nil {
		fmt.Println(err)
		return
	}

	// Both permits are held: bob's request for one more waits.
	w := reg.Request(bob, "db", 1, 0, func(err error) { fmt.Println("bob's second permit:", err) })
	fmt.Println("bob waits:", w.Pending())

	// alice's process dies without releasing.
	fmt.Println("released of alice's:", reg.ReleaseAll(alice))
	fmt.Println("bob waits:", w.Pending())
	fmt.Println("alice may come back:", !errors.Is(reg.Acquire(ctx, alice, "db", 1, 0), semregistry.ErrHolderGone))

	if err := reg.Release(bob, "db", 2); err != nil {
		fmt.Println(err)
	}
	st := reg.Stats()[0]
	fmt.Printf("%s: capacity %d, peak %d in use, %d acquires\n", st.Name, st.Capacity, st.PeakInUse, st.Acquires)
	// Output:
	// bob waits: true
	// bob's second permit: <nil>
	// released of alice's: 1
	// bob waits: false
	// alice may come back: false
	// db: capacity 2, peak 2 in use, 3 acquires
}
