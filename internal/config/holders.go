package config

import "sync/atomic"

// The holder types below carry the settings CONFIG SET may change. Readers
// on the hot path call Get, a single atomic load; only this package stores,
// so every change goes through Set, its validation and its hooks.

// Int is an integer setting changeable at runtime.
type Int struct{ v atomic.Int64 }

// Get returns the current value.
func (x *Int) Get() int64 { return x.v.Load() }

func (x *Int) store(v int64) { x.v.Store(v) }

// Memory is a size in bytes changeable at runtime.
type Memory struct{ v atomic.Int64 }

// Get returns the current value in bytes.
func (x *Memory) Get() int64 { return x.v.Load() }

func (x *Memory) store(v int64) { x.v.Store(v) }

// Bool is a boolean setting changeable at runtime.
type Bool struct{ v atomic.Bool }

// Get returns the current value.
func (x *Bool) Get() bool { return x.v.Load() }

func (x *Bool) store(v bool) { x.v.Store(v) }

// String is a string setting changeable at runtime.
type String struct{ v atomic.Pointer[string] }

// Get returns the current value.
func (x *String) Get() string {
	if p := x.v.Load(); p != nil {
		return *p
	}
	return ""
}

func (x *String) store(v string) { x.v.Store(&v) }

// Value holds a parsed setting of any type, such as save points or output
// buffer limits, changeable at runtime. The value is replaced whole, never
// modified in place, so what Get returns may be kept and read freely.
type Value[T any] struct{ v atomic.Pointer[T] }

// Get returns the current value.
func (x *Value[T]) Get() T {
	if p := x.v.Load(); p != nil {
		return *p
	}
	var zero T
	return zero
}

func (x *Value[T]) store(v T) { x.v.Store(&v) }
