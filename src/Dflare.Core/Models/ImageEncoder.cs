using System.Numerics;
using Dflare.Images;

namespace Dflare.Models;

/// <summary>
/// A model's preprocessing, applied: brings an image to the model's geometry (<see cref="Prepare(Image)"/>) and turns
/// its 0..255 values into the model's input values in its tensor layout (<see cref="Normalize{T}"/>), per value
/// <c>pixel · Scale / Std[c] − Mean[c] / Std[c]</c> in float.
/// </summary>
internal sealed class ImageEncoder
{
    private readonly ModelInfo _info;
    private readonly float[] _scale; // per channel: Scale / Std
    private readonly float[] _offset; // per channel: -Mean / Std

    public ImageEncoder(ModelInfo info)
    {
        _info = info;
        var p = info.Preprocessing;
        _scale = new float[info.Channels];
        _offset = new float[info.Channels];
        for (int c = 0; c < info.Channels; c++)
        {
            _scale[c] = (float)(p.Scale / p.Std[c]);
            _offset[c] = (float)(-p.Mean[c] / p.Std[c]);
        }
    }

    /// <summary>True when <paramref name="image"/> already has the model's geometry.</summary>
    public bool Fits(Image image) => image.Width == _info.Width && image.Height == _info.Height && image.Channels == _info.Channels;

    /// <summary>
    /// Resizes the short side and centre-crops (when the preprocessing says so) and converts grey↔RGB to the model's
    /// channel count; an image that already <see cref="Fits"/> is returned as it is.
    /// </summary>
    /// <exception cref="DflareException">The image size does not fit the model and no resize/crop is configured.</exception>
    public Image Prepare(Image image)
    {
        if (Fits(image)) return image;
        var p = _info.Preprocessing;
        var img = image;
        if (p.ResizeShortSide is { } r) img = img.ResizeShortSide(r, p.Filter, p.Antialias);
        if (p.CenterCrop is { } c)
        {
            if (img.Width < c || img.Height < c)
                throw new DflareException($"Image of {img.Width}x{img.Height} is smaller than the crop {c} for model '{_info.Path}'; add a resize: {ModelInfo.SetWith("resize")}.");
            if (img.Width != c || img.Height != c) img = img.CenterCrop(c, c);
        }
        if (img.Width != _info.Width || img.Height != _info.Height)
            throw new DflareException($"Image of {image.Width}x{image.Height} does not fit model '{_info.Path}', which takes {_info.Width}x{_info.Height}; set its resize and crop: \"resize\" and \"crop\" in the model's sidecar (Resize = N, Crop = N; --resize N --crop N).");
        return img.Channels == _info.Channels ? img : img.WithChannels(_info.Channels);
    }

    /// <summary>
    /// Normalises one image's 0..255 values (H×W×C at model geometry; whole grey levels as bytes, or any value as
    /// floats) into the model's input layout. The one normalisation loop: bytes and floats give the same floats.
    /// </summary>
    public void Normalize<T>(ReadOnlySpan<T> src, Span<float> dst) where T : unmanaged, INumberBase<T>
    {
        int c = _info.Channels, hw = _info.Height * _info.Width;
        if (_info.Layout == TensorLayout.Nhwc)
        {
            for (int i = 0, ch = 0; i < src.Length; i++)
            {
                dst[i] = float.CreateTruncating(src[i]) * _scale[ch] + _offset[ch];
                if (++ch == c) ch = 0;
            }
        }
        else
        {
            for (int ch = 0; ch < c; ch++)
            {
                float s = _scale[ch], o = _offset[ch];
                var plane = dst.Slice(ch * hw, hw);
                for (int p = 0, j = ch; p < hw; p++, j += c) plane[p] = float.CreateTruncating(src[j]) * s + o;
            }
        }
    }
}
