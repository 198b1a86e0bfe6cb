// Package jpegdec is picfre's own JPEG decoder, written from ITU T.81,
// with reduced-size decoding (Scale 2, 4 and 8) for making thumbnails of
// camera photos quickly.
package jpegdec
