//! QR codes drawn as PNG images (qrcode + image), as the
//! `data:image/png;base64,...` URLs the original gateway returned, and as
//! Unicode blocks for a terminal.

use base64::Engine;
use image::{ImageFormat, Luma};
use qrcode::QrCode;
use std::io::Cursor;

#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error("the text does not fit in a QR code: {0}")]
    Encode(#[from] qrcode::types::QrError),
    #[error("could not write the PNG: {0}")]
    Png(#[from] image::ImageError),
}

/// The QR code of `text` as a PNG with a quiet zone, about 300 px wide.
pub fn png(text: &str) -> Result<Vec<u8>, QrError> {
    let code = QrCode::new(text.as_bytes())?;
    let image = code.render::<Luma<u8>>().min_dimensions(300, 300).build();
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, ImageFormat::Png)?;
    Ok(out.into_inner())
}

/// The QR code of `text` in Unicode half blocks, light on a dark terminal.
pub fn terminal(text: &str) -> Result<String, QrError> {
    use qrcode::render::unicode::Dense1x2;
    let code = QrCode::new(text.as_bytes())?;
    Ok(code
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .build())
}

pub fn data_url(text: &str) -> Result<String, QrError> {
    let encoded = base64::engine::general_purpose::STANDARD.encode(png(text)?);
    Ok(format!("data:image/png;base64,{encoded}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_png_is_a_real_image_of_the_requested_size() {
        let bytes = png("2@abc,def,ghi").unwrap();
        let image = image::load_from_memory_with_format(&bytes, ImageFormat::Png).unwrap();
        assert!(image.width() >= 300 && image.width() == image.height());
    }

    #[test]
    fn data_urls_carry_the_png() {
        let url = data_url("hello").unwrap();
        let b64 = url.strip_prefix("data:image/png;base64,").unwrap();
        let bytes = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
    }
}
