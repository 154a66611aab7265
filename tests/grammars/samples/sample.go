// Package inventory keeps track of items: the Go sample for the grammar tests.
package inventory

import (
	"errors"
	"fmt"
	str "strings"
	_ "embed"
	. "math"
)

import "os"

// MaxItems is the most items a shelf holds.
const MaxItems = 100

const (
	KindFood = iota
	// KindTool marks tools.
	KindTool
)

var (
	// ErrFull is returned when a shelf is full.
	ErrFull  = errors.New("shelf is full")
	shelfCap int
)

// Item is one thing in the inventory.
type Item struct {
	Name  string
	Price float64
}

// Priced is anything with a price.
type Priced interface {
	Total(quantity int) float64
}

type ID = string

type Shelf []Item

// Total is the price of quantity items.
func (i *Item) Total(quantity int) float64 {
	return i.Price * Max(float64(quantity), 0)
}

func (s Shelf) Add(item Item) (Shelf, error) {
	if len(s) >= MaxItems {
		return s, ErrFull
	}
	return append(s, item), nil
}

// Describe formats an item for people.
func Describe(p Priced) string {
	label := str.ToUpper(fmt.Sprint(p))
	fmt.Fprintln(os.Stderr, label)
	return label
}

func newItem[T ~string](name T) *Item {
	return &Item{Name: string(name)}
}
