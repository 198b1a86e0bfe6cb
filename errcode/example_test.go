package errcode_test

import (
	"errors"
	"fmt"

	"github.com/picfre/picfre/errcode"
)

// ErrOutOfStock is how a package declares a sentinel of its own: distinct
// for errors.Is, and answering errcode.Of with its code.
var ErrOutOfStock = errcode.New(errcode.Conflict, "shop: out of stock")

func Example() {
	err := fmt.Errorf("shop: order 7: %w", ErrOutOfStock)

	fmt.Println(errcode.Of(err))
	fmt.Println(errors.Is(err, ErrOutOfStock), errors.Is(err, errcode.Conflict))
	fmt.Println(errcode.Of(err).HTTPStatus())
	fmt.Println(err)
	// Output:
	// conflict
	// true true
	// 409
	// shop: order 7: shop: out of stock
}

func ExampleCode_HTTPStatus() {
	for _, c := range []errcode.Code{errcode.TooLarge, errcode.InsufficientCredits, errcode.Canceled} {
		fmt.Println(c, c.HTTPStatus())
	}
	// Output:
	// too_large 413
	// insufficient_credits 402
	// canceled 499
}

func ExampleWrapIfNone() {
	dbDown := errors.New("connection refused")
	fmt.Println(errcode.Of(errcode.WrapIfNone(errcode.Unavailable, dbDown)))

	short := errcode.New(errcode.InsufficientCredits, "insufficient credits")
	fmt.Println(errcode.Of(errcode.WrapIfNone(errcode.Unavailable, short)))
	// Output:
	// unavailable
	// insufficient_credits
}
