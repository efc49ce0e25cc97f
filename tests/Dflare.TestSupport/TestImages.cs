using Dflare.Images;

namespace Dflare.Tests;

/// <summary>Image files written by hand for tests (formats the project itself does not write).</summary>
public static class TestImages
{
    /// <summary>A 24-bit BMP (bottom-up rows padded to 4 bytes) of a grey image.</summary>
    public static byte[] Bmp24(Image grey)
    {
        int w = grey.Width, h = grey.Height, row = (w * 3 + 3) & ~3, size = 54 + row * h;
        var b = new byte[size];
        void I32(int o, int v) => BitConverter.GetBytes(v).CopyTo(b, o);
        b[0] = (byte)'B'; b[1] = (byte)'M'; I32(2, size); I32(10, 54); I32(14, 40); I32(18, w); I32(22, h);
        b[26] = 1; b[28] = 24; I32(34, row * h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int o = 54 + (h - 1 - y) * row + x * 3;
                b[o] = b[o + 1] = b[o + 2] = grey[y, x, 0];
            }
        return b;
    }
}
