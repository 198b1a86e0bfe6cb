// Quickstart tags the images named on the command line with the offline
// provider and prints titles and keywords. No API key, no network:
//
//	go run ./examples/quickstart testdata/samples/coffee.png
package main
