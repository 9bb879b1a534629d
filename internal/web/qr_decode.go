package web

import (
	"bytes"
	"fmt"
	"image"
	_ "image/gif" // photos arrive as JPEG, PNG or GIF
	_ "image/jpeg"
	_ "image/png"
	"io"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/saifu-pay/saifu/internal/apperr"
)

// Bounds of a photo of a QR code.
const (
	// photoBytesMax: a phone's photo is a few MB as JPEG.
	photoBytesMax = 10 << 20
	// photoPixelsMax bounds the decoded image (4 bytes a pixel in
	// memory): a 48-megapixel camera's photo, no bigger.
	photoPixelsMax = 48 << 20
	// qrScanSideMax: the photo is shrunk to this many pixels on its long
	// side before the QR reader looks at it — a code that fills a tenth
	// of the frame still has a few pixels a module, and the reader's
	// time grows with the pixels.
	qrScanSideMax = 1600
)

var errNoQR = apperr.E(apperr.Invalid, "no QR code could be read in the photo: take it again, closer and sharper").
	JA("写真からQRコードを読み取れませんでした。近づいて、ピントを合わせて撮り直してください")

// decodeQRPhoto reads the QR code in a photo (JPEG, PNG or GIF, at most
// photoBytesMax bytes and photoPixelsMax pixels) and returns its text.
func decodeQRPhoto(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, photoBytesMax+1))
	if err != nil {
		return "", fmt.Errorf("web: read photo: %w", err)
	}
	if len(b) > photoBytesMax {
		return "", apperr.E(apperr.Invalid, fmt.Sprintf("the photo is over %d MB", photoBytesMax>>20)).
			JA(fmt.Sprintf("写真が%dMBを超えています", photoBytesMax>>20))
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return "", apperr.E(apperr.Invalid, "the file is not a JPEG, PNG or GIF picture").JA("JPEG・PNG・GIF の画像ではありません")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > photoPixelsMax {
		return "", apperr.E(apperr.Invalid, "the picture is too large").JA("画像が大きすぎます")
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return "", apperr.E(apperr.Invalid, "the picture could not be read").JA("画像を読み込めませんでした")
	}
	return decodeQRImage(img)
}

// decodeQRImage reads the QR code in img.
func decodeQRImage(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(shrinkGray(img, qrScanSideMax))
	if err != nil {
		return "", errNoQR
	}
	hints := map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, hints)
	if err != nil || res.GetText() == "" {
		return "", errNoQR
	}
	return res.GetText(), nil
}

// shrinkGray returns img in grey, shrunk by a whole factor (a box
// filter) so that its long side is at most side pixels.
func shrinkGray(img image.Image, side int) *image.Gray {
	b := img.Bounds()
	f := 1
	for max(b.Dx(), b.Dy())/f > side {
		f++
	}
	out := image.NewGray(image.Rect(0, 0, b.Dx()/f, b.Dy()/f))
	for y := 0; y < out.Rect.Dy(); y++ {
		for x := 0; x < out.Rect.Dx(); x++ {
			var sum uint32
			for dy := 0; dy < f; dy++ {
				for dx := 0; dx < f; dx++ {
					r, g, bl, _ := img.At(b.Min.X+x*f+dx, b.Min.Y+y*f+dy).RGBA()
					sum += (19595*r + 38470*g + 7471*bl + 1<<15) >> 24
				}
			}
			out.Pix[y*out.Stride+x] = uint8(sum / uint32(f*f))
		}
	}
	return out
}
