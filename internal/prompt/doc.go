// Package prompt writes the instructions and the JSON Schema the pipeline
// sends with every request, from the request's [provider.Spec] and a
// guidance text (agency and user rules), and renders reverse prompts in
// the dialects of text-to-image generators. The text names what is wanted
// and never anything about the user or the file.
package prompt
