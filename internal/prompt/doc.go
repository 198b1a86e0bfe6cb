// Package prompt writes the instructions and the JSON Schema the pipeline
// sends with every request. The text names what is wanted and never
// anything about the user or the file.
package prompt
