// Over 300 lines on purpose: the one image type with its file formats, resizing and channel conversions.
using StbImageSharp;
using StbImageWriteSharp;

namespace Dflare.Images;

/// <summary>
/// An 8-bit image: <see cref="Height"/> × <see cref="Width"/> × <see cref="Channels"/> bytes, interleaved
/// (row-major, channels last). <see cref="Channels"/> is 1 (grey) or 3 (RGB).
/// </summary>
public sealed class Image : IEquatable<Image>
{
    /// <summary>Creates an image over <paramref name="pixels"/> (not copied).</summary>
    /// <exception cref="ArgumentException">The sizes are not positive, channels is not 1 or 3, or the buffer has the wrong length.</exception>
    public Image(int width, int height, int channels, byte[] pixels)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"Image size must be positive, got {width}x{height}.");
        if (channels is not (1 or 3)) throw new ArgumentException($"Image channels must be 1 or 3, got {channels}.");
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.Length != width * height * channels)
            throw new ArgumentException($"Pixel buffer has {pixels.Length} bytes; a {width}x{height}x{channels} image needs {width * height * channels}.");
        Width = width; Height = height; Channels = channels; Pixels = pixels;
    }

    /// <summary>Creates a black image.</summary>
    public Image(int width, int height, int channels) : this(width, height, channels, new byte[width * height * channels]) { }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }
    /// <summary>Height in pixels.</summary>
    public int Height { get; }
    /// <summary>1 (grey) or 3 (RGB).</summary>
    public int Channels { get; }
    /// <summary>The pixels, H×W×C interleaved. Mutable: mutation operators write into it.</summary>
    public byte[] Pixels { get; }
    /// <summary>Number of values (H·W·C).</summary>
    public int Length => Pixels.Length;

    /// <summary>The value at row <paramref name="y"/>, column <paramref name="x"/>, channel <paramref name="c"/>.</summary>
    public byte this[int y, int x, int c]
    {
        get => Pixels[(y * Width + x) * Channels + c];
        set => Pixels[(y * Width + x) * Channels + c] = value;
    }

    /// <summary>A deep copy.</summary>
    public Image Clone() => new(Width, Height, Channels, (byte[])Pixels.Clone());

    /// <summary>True when both images have the same geometry and identical pixels.</summary>
    public bool Equals(Image? other) =>
        other is not null && other.Width == Width && other.Height == Height && other.Channels == Channels &&
        Pixels.AsSpan().SequenceEqual(other.Pixels);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Image);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(Width); h.Add(Height); h.Add(Channels);
        h.AddBytes(Pixels);
        return h.ToHashCode();
    }

    /// <inheritdoc />
    public override string ToString() => $"{Width}x{Height}x{Channels}";

    // ---------------------------------------------------------------- I/O

    /// <summary>
    /// Loads a PNG, JPEG or BMP file. Grey (and grey+alpha) files load as 1 channel, everything else as RGB
    /// (alpha is dropped).
    /// </summary>
    /// <exception cref="DflareException">The file is missing, unreadable, truncated or not an image.</exception>
    public static Image Load(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (FileNotFoundException) { throw new DflareException($"Image file '{path}' does not exist."); }
        catch (DirectoryNotFoundException) { throw new DflareException($"Image file '{path}' does not exist."); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new DflareException($"Image file '{path}' cannot be read: {e.Message}", e); }
        return Decode(bytes, path);
    }

    /// <summary>Decodes PNG, JPEG or BMP bytes; <paramref name="name"/> is used in error messages.</summary>
    /// <exception cref="DflareException">The bytes are not a complete image.</exception>
    public static Image Decode(byte[] bytes, string name = "image")
    {
        if (bytes.Length == 0) throw new DflareException($"Image file '{name}' is empty.");
        ImageInfo? info;
        try { info = ImageInfo.FromStream(new MemoryStream(bytes)); }
        catch (Exception e) { throw new DflareException($"Image file '{name}' is not a readable PNG, JPEG or BMP image ({Printable(e.Message)}).", e); }
        if (info is null) throw new DflareException($"Image file '{name}' is not a readable PNG, JPEG or BMP image.");
        var grey = info.Value.ColorComponents is StbImageSharp.ColorComponents.Grey or StbImageSharp.ColorComponents.GreyAlpha;
        ImageResult result;
        try
        {
            result = ImageResult.FromMemory(bytes, grey ? StbImageSharp.ColorComponents.Grey : StbImageSharp.ColorComponents.RedGreenBlue);
        }
        catch (Exception e)
        {
            var why = Printable(e.Message);
            throw new DflareException($"Image file '{name}' is corrupt or truncated and cannot be decoded{(why.Length == 0 ? "" : $" ({why})")}.", e);
        }
        if (result is null || result.Data is null || result.Width <= 0 || result.Height <= 0)
            throw new DflareException($"Image file '{name}' is corrupt or truncated and cannot be decoded.");
        if (IsTruncatedPng(bytes))
            throw new DflareException($"Image file '{name}' is a truncated PNG (no IEND chunk).");
        return new Image(result.Width, result.Height, grey ? 1 : 3, result.Data);
    }

    /// <summary>A decoder's message without the NUL bytes and other control characters some decoders leave in it.</summary>
    private static string Printable(string message) =>
        new string(message.Where(ch => !char.IsControl(ch)).ToArray()).Trim();

    private static bool IsTruncatedPng(byte[] b)
    {
        ReadOnlySpan<byte> sig = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        if (b.Length < 8 || !b.AsSpan(0, 8).SequenceEqual(sig)) return false;
        ReadOnlySpan<byte> iend = "IEND"u8;
        return b.AsSpan().LastIndexOf(iend) < 0;
    }

    /// <summary>Encodes as PNG (byte-stable: the same pixels always give the same bytes).</summary>
    public byte[] EncodePng()
    {
        using var ms = new MemoryStream();
        new ImageWriter().WritePng(Pixels, Width, Height,
            Channels == 1 ? StbImageWriteSharp.ColorComponents.Grey : StbImageWriteSharp.ColorComponents.RedGreenBlue, ms);
        return ms.ToArray();
    }

    /// <summary>Saves as PNG, atomically (temp file + rename).</summary>
    public void SavePng(string path) => AtomicFile.WriteAllBytes(path, EncodePng());

    // ---------------------------------------------------------------- transforms

    /// <summary>Converts to one channel with ITU-R 601 luma (0.299 R + 0.587 G + 0.114 B); a grey image is copied.</summary>
    public Image ToGrey()
    {
        if (Channels == 1) return Clone();
        var dst = new byte[Width * Height];
        for (int i = 0, j = 0; i < dst.Length; i++, j += 3)
            dst[i] = (byte)Math.Clamp((int)Math.Round(0.299 * Pixels[j] + 0.587 * Pixels[j + 1] + 0.114 * Pixels[j + 2]), 0, 255);
        return new Image(Width, Height, 1, dst);
    }

    /// <summary>Converts to three channels by repeating grey; an RGB image is copied.</summary>
    public Image ToRgb()
    {
        if (Channels == 3) return Clone();
        var dst = new byte[Width * Height * 3];
        for (int i = 0, j = 0; i < Pixels.Length; i++, j += 3) dst[j] = dst[j + 1] = dst[j + 2] = Pixels[i];
        return new Image(Width, Height, 3, dst);
    }

    /// <summary>Returns the image with <paramref name="channels"/> channels (converting when needed).</summary>
    public Image WithChannels(int channels) => channels == Channels ? this : channels == 1 ? ToGrey() : ToRgb();

    /// <summary>
    /// Bilinear resize to <paramref name="width"/> × <paramref name="height"/>. When shrinking, the triangle filter is
    /// widened by the scale factor (antialiasing), as PIL and torchvision do, so no input pixel is skipped.
    /// </summary>
    public Image Resize(int width, int height) => Resize(width, height, ResizeFilter.Bilinear, antialias: true);

    /// <summary>
    /// Resizes to <paramref name="width"/> × <paramref name="height"/> with <paramref name="filter"/>, as PIL's
    /// <c>Image.resize</c> does (to within one grey level). With <paramref name="antialias"/> (PIL, and torchvision's
    /// default) a shrinking filter is widened by the scale factor so every input pixel contributes; without it the
    /// filter keeps its own width, as torch's <c>interpolate(..., antialias=False)</c> does (bicubic then uses
    /// torch's a = −0.75 and repeats the edge pixels). Nearest ignores <paramref name="antialias"/> and picks the
    /// pixel under each output pixel's centre (PIL's nearest, torch's <c>nearest-exact</c>).
    /// </summary>
    /// <exception cref="ArgumentException">The target size is not positive.</exception>
    public Image Resize(int width, int height, ResizeFilter filter, bool antialias = true)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"Resize target must be positive, got {width}x{height}.");
        if (width == Width && height == Height) return Clone();
        if (filter == ResizeFilter.Nearest) return ResizeNearest(width, height);
        // Horizontal pass first, then vertical (as PIL). PIL rounds the first pass to 8 bits; torch keeps floats.
        int c = Channels;
        float[] src = new float[Length];
        for (int i = 0; i < src.Length; i++) src[i] = Pixels[i];
        int w = Width, h = Height;
        if (width != Width) { src = Pass(src, w, h, c, width, Weights(Width, width, filter, antialias), horizontal: true, round: antialias); w = width; }
        if (height != Height) { src = Pass(src, w, h, c, height, Weights(Height, height, filter, antialias), horizontal: false, round: antialias); h = height; }
        var dst = new byte[w * h * c];
        for (int i = 0; i < dst.Length; i++) dst[i] = (byte)Math.Clamp((int)Math.Round(src[i], MidpointRounding.AwayFromZero), 0, 255);
        return new Image(w, h, c, dst);
    }

    private Image ResizeNearest(int width, int height)
    {
        // PIL's affine nearest: the source coordinate starts at half a step and grows by repeated addition (the
        // same floating-point sums, so the same pixel is picked where a centre falls on a pixel edge).
        var c = Channels;
        var dst = new byte[width * height * c];
        double sx = (double)Width / width, sy = (double)Height / height;
        var xs = new int[width];
        double xx = sx * 0.5;
        for (int x = 0; x < width; x++, xx += sx) xs[x] = Math.Min((int)xx, Width - 1);
        double yy = sy * 0.5;
        for (int y = 0; y < height; y++, yy += sy)
        {
            int yin = Math.Min((int)yy, Height - 1);
            for (int x = 0; x < width; x++)
                Array.Copy(Pixels, (yin * Width + xs[x]) * c, dst, (y * width + x) * c, c);
        }
        return new Image(width, height, c, dst);
    }

    // One pass. round = PIL: 8-bit output through its fixed-point arithmetic (22-bit coefficients, rounding by adding
    // half before the shift), bit for bit; otherwise floats, as torch.
    private static float[] Pass(float[] src, int srcW, int srcH, int c, int size, (int[] start, double[][] w) k, bool horizontal, bool round)
    {
        const int precision = 22;
        int w = horizontal ? size : srcW, h = horizontal ? srcH : size;
        var fixedW = round ? k.w.Select(ws => ws.Select(v => (int)(v * (1 << precision) + (v < 0 ? -0.5 : 0.5))).ToArray()).ToArray() : null;
        var dst = new float[w * h * c];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int o = horizontal ? x : y;
                int start = k.start[o];
                var weights = k.w[o];
                for (int ch = 0; ch < c; ch++)
                {
                    if (fixedW is not null)
                    {
                        var kk = fixedW[o];
                        int acc = 1 << (precision - 1);
                        for (int t = 0; t < kk.Length; t++)
                        {
                            int sx = horizontal ? start + t : x, sy = horizontal ? y : start + t;
                            acc += (int)src[(sy * srcW + sx) * c + ch] * kk[t];
                        }
                        dst[(y * w + x) * c + ch] = Math.Clamp(acc >> precision, 0, 255);
                        continue;
                    }
                    double sum = 0;
                    for (int t = 0; t < weights.Length; t++)
                    {
                        int sx = horizontal ? start + t : x, sy = horizontal ? y : start + t;
                        sum += weights[t] * src[(sy * srcW + sx) * c + ch];
                    }
                    dst[(y * w + x) * c + ch] = (float)sum;
                }
            }
        return dst;
    }

    private static double Kernel(ResizeFilter f, double x, double a = -0.5)
    {
        x = Math.Abs(x);
        switch (f)
        {
            case ResizeFilter.Bilinear: return x < 1 ? 1 - x : 0;
            case ResizeFilter.Bicubic:
                if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
                if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
                return 0;
            case ResizeFilter.Lanczos:
                static double Sinc(double v) { if (v == 0) return 1; v *= Math.PI; return Math.Sin(v) / v; }
                return x < 3 ? Sinc(x) * Sinc(x / 3) : 0;
            default: throw new ArgumentOutOfRangeException(nameof(f), f, "not a convolution filter");
        }
    }

    private static double Support(ResizeFilter f) => f switch { ResizeFilter.Bilinear => 1, ResizeFilter.Bicubic => 2, _ => 3 };

    // PIL's precompute_coeffs (antialiased: the support grows with the scale; normalised weights over the pixels
    // that exist). Without antialias, bicubic follows torch: a = -0.75, four taps, edge pixels repeated.
    private static (int[] start, double[][] w) Weights(int inSize, int outSize, ResizeFilter filter, bool antialias)
    {
        double scale = (double)inSize / outSize;
        var starts = new int[outSize];
        var weights = new double[outSize][];
        if (!antialias && filter == ResizeFilter.Bicubic)
        {
            for (int i = 0; i < outSize; i++)
            {
                double src = (i + 0.5) * scale - 0.5;
                int i0 = (int)Math.Floor(src);
                double t = src - i0;
                int lo = Math.Clamp(i0 - 1, 0, inSize - 1), hi = Math.Clamp(i0 + 2, 0, inSize - 1);
                var w = new double[hi - lo + 1];
                for (int k = -1; k <= 2; k++)
                    w[Math.Clamp(i0 + k, 0, inSize - 1) - lo] += Kernel(ResizeFilter.Bicubic, k - t, a: -0.75);
                starts[i] = lo; weights[i] = w;
            }
            return (starts, weights);
        }
        double filterScale = antialias ? Math.Max(scale, 1.0) : 1.0;
        double support = Support(filter) * filterScale, inverse = 1.0 / filterScale;
        for (int i = 0; i < outSize; i++)
        {
            double center = (i + 0.5) * scale;
            int xmin = Math.Max((int)(center - support + 0.5), 0);
            int xmax = Math.Min((int)(center + support + 0.5), inSize);
            int n = Math.Max(xmax - xmin, 0);
            var w = new double[n];
            double total = 0;
            for (int k = 0; k < n; k++)
            {
                double v = Kernel(filter, (k + xmin - center + 0.5) * inverse);
                w[k] = v; total += v;
            }
            if (total != 0) for (int k = 0; k < n; k++) w[k] /= total;
            starts[i] = xmin; weights[i] = w;
        }
        return (starts, weights);
    }

    /// <summary>Resizes so that the shorter side becomes <paramref name="size"/>, keeping the aspect ratio (torchvision's <c>Resize(int)</c>).</summary>
    public Image ResizeShortSide(int size, ResizeFilter filter = ResizeFilter.Bilinear, bool antialias = true)
    {
        if (size <= 0) throw new ArgumentException($"Short-side size must be positive, got {size}.");
        if (Width <= Height)
            return Resize(size, (int)(size * (long)Height / Width), filter, antialias);
        return Resize((int)(size * (long)Width / Height), size, filter, antialias);
    }

    /// <summary>
    /// Paints the rectangle of <paramref name="width"/>×<paramref name="height"/> pixels at (<paramref name="x"/>,
    /// <paramref name="y"/>) in <paramref name="rgb"/>, clipped to the image (for the charts drawn on 3-channel images).
    /// </summary>
    public void FillRect(int x, int y, int width, int height, ReadOnlySpan<byte> rgb)
    {
        for (int yy = Math.Max(0, y); yy < Math.Min(Height, y + height); yy++)
            for (int xx = Math.Max(0, x); xx < Math.Min(Width, x + width); xx++)
            {
                int o = (yy * Width + xx) * 3;
                Pixels[o] = rgb[0]; Pixels[o + 1] = rgb[1]; Pixels[o + 2] = rgb[2];
            }
    }

    /// <summary>Crops the centre <paramref name="width"/> × <paramref name="height"/> region (torchvision's rounding).</summary>
    public Image CenterCrop(int width, int height)
    {
        if (width > Width || height > Height)
            throw new ArgumentException($"Cannot centre-crop {width}x{height} from a {Width}x{Height} image.");
        int top = (int)Math.Round((Height - height) / 2.0, MidpointRounding.ToEven);
        int left = (int)Math.Round((Width - width) / 2.0, MidpointRounding.ToEven);
        return Crop(left, top, width, height);
    }

    /// <summary>Copies the region with its top-left corner at (<paramref name="left"/>, <paramref name="top"/>).</summary>
    public Image Crop(int left, int top, int width, int height)
    {
        if (left < 0 || top < 0 || left + width > Width || top + height > Height || width <= 0 || height <= 0)
            throw new ArgumentException($"Crop {width}x{height}+{left}+{top} lies outside a {Width}x{Height} image.");
        var dst = new byte[width * height * Channels];
        for (int y = 0; y < height; y++)
            Array.Copy(Pixels, ((top + y) * Width + left) * Channels, dst, y * width * Channels, width * Channels);
        return new Image(width, height, Channels, dst);
    }

    /// <summary>Nearest-neighbour upscaling by an integer factor (for showing small images).</summary>
    public Image Scale(int factor)
    {
        if (factor < 1) throw new ArgumentException($"Scale factor must be at least 1, got {factor}.");
        if (factor == 1) return Clone();
        int w = Width * factor, h = Height * factor, c = Channels;
        var dst = new byte[w * h * c];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                Array.Copy(Pixels, ((y / factor) * Width + x / factor) * c, dst, (y * w + x) * c, c);
        return new Image(w, h, c, dst);
    }

    /// <summary>Copies <paramref name="source"/> into this image with its top-left corner at (<paramref name="left"/>, <paramref name="top"/>); converts channels and clips at the edges.</summary>
    public void Paste(Image source, int left, int top)
    {
        var src = source.WithChannels(Channels);
        for (int y = 0; y < src.Height; y++)
        {
            int ty = top + y;
            if (ty < 0 || ty >= Height) continue;
            for (int x = 0; x < src.Width; x++)
            {
                int tx = left + x;
                if (tx < 0 || tx >= Width) continue;
                Array.Copy(src.Pixels, (y * src.Width + x) * Channels, Pixels, (ty * Width + tx) * Channels, Channels);
            }
        }
    }

    /// <summary>
    /// Places images side by side (left to right) on a background, separated by <paramref name="gap"/> pixels,
    /// top-aligned. The result is RGB if any input is RGB.
    /// </summary>
    public static Image SideBySide(IReadOnlyList<Image> images, int gap = 4, byte background = 255)
    {
        if (images.Count == 0) throw new ArgumentException("SideBySide needs at least one image.");
        int c = images.Any(i => i.Channels == 3) ? 3 : 1;
        int w = images.Sum(i => i.Width) + gap * (images.Count + 1);
        int h = images.Max(i => i.Height) + 2 * gap;
        var canvas = new Image(w, h, c);
        Array.Fill(canvas.Pixels, background);
        int x = gap;
        foreach (var img in images) { canvas.Paste(img, x, gap); x += img.Width + gap; }
        return canvas;
    }
}

/// <summary>The interpolation filter of a resize (PIL's names).</summary>
public enum ResizeFilter
{
    /// <summary>The input pixel under each output pixel's centre.</summary>
    Nearest,
    /// <summary>Triangle filter (support 1).</summary>
    Bilinear,
    /// <summary>Cubic convolution (support 2; a = −0.5 as PIL, −0.75 as torch without antialias).</summary>
    Bicubic,
    /// <summary>Lanczos windowed sinc (support 3).</summary>
    Lanczos,
}
