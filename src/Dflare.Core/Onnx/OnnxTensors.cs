using System.Buffers.Binary;
using Dflare.Onnx.Proto;
using Google.Protobuf;

namespace Dflare.Onnx;

/// <summary>
/// Conversions between ONNX <see cref="TensorProto"/> values and .NET arrays. Reads both storages the IR allows:
/// <c>raw_data</c> (fixed-width little-endian) and the typed fields (<c>float_data</c>, <c>int32_data</c> holding
/// FLOAT16 bits and 8/16-bit integers, <c>int64_data</c>, <c>double_data</c>). Writes always use <c>raw_data</c>.
/// </summary>
public static class OnnxTensors
{
    /// <summary>Element types <see cref="ToFloats"/> can read.</summary>
    public static IReadOnlySet<int> ReadableTypes { get; } = new HashSet<int>
    {
        (int)TensorProto.Types.DataType.Float, (int)TensorProto.Types.DataType.Float16, (int)TensorProto.Types.DataType.Double,
        (int)TensorProto.Types.DataType.Int8, (int)TensorProto.Types.DataType.Uint8, (int)TensorProto.Types.DataType.Int16,
        (int)TensorProto.Types.DataType.Uint16, (int)TensorProto.Types.DataType.Int32, (int)TensorProto.Types.DataType.Int64,
        (int)TensorProto.Types.DataType.Bool,
    };

    /// <summary>The IR name of an element type, e.g. <c>FLOAT16</c> (or <c>type 42</c> for an unknown code).</summary>
    public static string TypeName(int dataType) => dataType switch
    {
        0 => "UNDEFINED", 1 => "FLOAT", 2 => "UINT8", 3 => "INT8", 4 => "UINT16", 5 => "INT16", 6 => "INT32", 7 => "INT64",
        8 => "STRING", 9 => "BOOL", 10 => "FLOAT16", 11 => "DOUBLE", 12 => "UINT32", 13 => "UINT64", 14 => "COMPLEX64",
        15 => "COMPLEX128", 16 => "BFLOAT16", 17 => "FLOAT8E4M3FN", 18 => "FLOAT8E4M3FNUZ", 19 => "FLOAT8E5M2",
        20 => "FLOAT8E5M2FNUZ", 21 => "UINT4", 22 => "INT4", 23 => "FLOAT4E2M1",
        _ => $"type {dataType}",
    };

    /// <summary>Bytes per element in <c>raw_data</c> for fixed-width types (0 for STRING, sub-byte and unknown types).</summary>
    public static int ElementSize(int dataType) => dataType switch
    {
        1 or 6 or 12 => 4,
        2 or 3 or 9 or 17 or 18 or 19 or 20 => 1,
        4 or 5 or 10 or 16 => 2,
        7 or 11 or 13 or 14 => 8,
        15 => 16,
        _ => 0,
    };

    /// <summary>Bit width of an integer element type (8 for INT8/UINT8, 4 for INT4/UINT4, ...), or null for other types.</summary>
    public static int? IntegerBits(int dataType) => dataType switch
    {
        2 or 3 => 8,
        4 or 5 => 16,
        6 or 12 => 32,
        7 or 13 => 64,
        21 or 22 => 4,
        _ => null,
    };

    /// <summary>The tensor's dims.</summary>
    public static long[] Dims(TensorProto t) => t.Dims.ToArray();

    /// <summary>Number of elements (1 for a scalar with no dims).</summary>
    public static long ElementCount(TensorProto t) => ElementCount(t.Dims);

    /// <summary>Number of elements of a shape (1 for the empty shape).</summary>
    public static long ElementCount(IEnumerable<long> dims)
    {
        long n = 1;
        foreach (var d in dims) n = checked(n * d);
        return n;
    }

    /// <summary>Formats a shape as <c>[32,1,3,3]</c>.</summary>
    public static string FormatShape(IEnumerable<long> dims) => "[" + string.Join(",", dims) + "]";

    /// <summary>True when the tensor's data lives in an external file rather than in the model.</summary>
    public static bool IsExternal(TensorProto t) =>
        (t.HasDataLocation && t.DataLocation == TensorProto.Types.DataLocation.External) || t.ExternalData.Count > 0;

    /// <summary>
    /// Reads the tensor's values as float: FLOAT, FLOAT16, DOUBLE and the integer types (converted by value,
    /// not dequantized).
    /// </summary>
    /// <exception cref="DflareException">The type is not readable, the data is external, or its length does not match the dims.</exception>
    public static float[] ToFloats(TensorProto t)
    {
        var dt = t.DataType;
        if (IsExternal(t))
            throw new DflareException($"Tensor '{t.Name}' keeps its data in an external file; external data is not supported.");
        long count = ElementCount(t);
        if (count > int.MaxValue) throw new DflareException($"Tensor '{t.Name}' has {count} elements, too many to read.");
        var n = (int)count;
        var result = new float[n];
        if (t.HasRawData)
        {
            int size = ElementSize(dt);
            if (size == 0 || !ReadableTypes.Contains(dt))
                throw new DflareException($"Tensor '{t.Name}' has element type {TypeName(dt)}, which cannot be read as numbers.");
            var raw = t.RawData.Span;
            if (raw.Length != (long)n * size)
                throw new DflareException($"Tensor '{t.Name}' has {raw.Length} bytes of raw data; its dims {FormatShape(t.Dims)} of {TypeName(dt)} need {(long)n * size}.");
            for (int i = 0; i < n; i++)
            {
                var s = raw.Slice(i * size, size);
                result[i] = dt switch
                {
                    1 => BinaryPrimitives.ReadSingleLittleEndian(s),
                    10 => (float)BinaryPrimitives.ReadHalfLittleEndian(s),
                    11 => (float)BinaryPrimitives.ReadDoubleLittleEndian(s),
                    3 => (sbyte)s[0],
                    2 or 9 => s[0],
                    5 => BinaryPrimitives.ReadInt16LittleEndian(s),
                    4 => BinaryPrimitives.ReadUInt16LittleEndian(s),
                    6 => BinaryPrimitives.ReadInt32LittleEndian(s),
                    7 => BinaryPrimitives.ReadInt64LittleEndian(s),
                    _ => throw new InvalidOperationException(),
                };
            }
            return result;
        }
        switch (dt)
        {
            case 1:
                Check(t, t.FloatData.Count, n, "float_data");
                t.FloatData.CopyTo(result, 0);
                break;
            case 10:
                Check(t, t.Int32Data.Count, n, "int32_data");
                for (int i = 0; i < n; i++) result[i] = (float)BitConverter.UInt16BitsToHalf((ushort)t.Int32Data[i]);
                break;
            case 11:
                Check(t, t.DoubleData.Count, n, "double_data");
                for (int i = 0; i < n; i++) result[i] = (float)t.DoubleData[i];
                break;
            case 2 or 3 or 4 or 5 or 6 or 9:
                Check(t, t.Int32Data.Count, n, "int32_data");
                for (int i = 0; i < n; i++)
                {
                    int v = t.Int32Data[i];
                    // 8/16-bit values are stored widened; read them in their own width.
                    result[i] = dt switch { 3 => (sbyte)v, 2 or 9 => (byte)v, 5 => (short)v, 4 => (ushort)v, _ => v };
                }
                break;
            case 7:
                Check(t, t.Int64Data.Count, n, "int64_data");
                for (int i = 0; i < n; i++) result[i] = t.Int64Data[i];
                break;
            default:
                throw new DflareException($"Tensor '{t.Name}' has element type {TypeName(dt)}, which cannot be read as numbers.");
        }
        return result;
    }

    /// <summary>Reads an INT8, UINT8, INT16, UINT16, INT32 or INT64 tensor as 64-bit integers (exact).</summary>
    /// <exception cref="DflareException">The tensor is not of an integer type or its data does not match the dims.</exception>
    public static long[] ToInt64s(TensorProto t)
    {
        var dt = t.DataType;
        if (dt == 7)
        {
            if (IsExternal(t)) throw new DflareException($"Tensor '{t.Name}' keeps its data in an external file; external data is not supported.");
            long count = ElementCount(t);
            if (t.HasRawData)
            {
                var raw = t.RawData.Span;
                if (raw.Length != count * 8)
                    throw new DflareException($"Tensor '{t.Name}' has {raw.Length} bytes of raw data; its dims {FormatShape(t.Dims)} of INT64 need {count * 8}.");
                var r = new long[count];
                for (int i = 0; i < r.Length; i++) r[i] = BinaryPrimitives.ReadInt64LittleEndian(raw.Slice(i * 8, 8));
                return r;
            }
            Check(t, t.Int64Data.Count, count, "int64_data");
            return t.Int64Data.ToArray();
        }
        if (dt is not (2 or 3 or 4 or 5 or 6))
            throw new DflareException($"Tensor '{t.Name}' has element type {TypeName(dt)}; an integer tensor was expected.");
        if (dt == 6)
        {
            if (IsExternal(t)) throw new DflareException($"Tensor '{t.Name}' keeps its data in an external file; external data is not supported.");
            long count = ElementCount(t);
            if (t.HasRawData)
            {
                var raw = t.RawData.Span;
                if (raw.Length != count * 4)
                    throw new DflareException($"Tensor '{t.Name}' has {raw.Length} bytes of raw data; its dims {FormatShape(t.Dims)} of INT32 need {count * 4}.");
                var r = new long[count];
                for (int i = 0; i < r.Length; i++) r[i] = BinaryPrimitives.ReadInt32LittleEndian(raw.Slice(i * 4, 4));
                return r;
            }
            Check(t, t.Int32Data.Count, count, "int32_data");
            return t.Int32Data.Select(v => (long)v).ToArray();
        }
        return ToFloats(t).Select(v => (long)v).ToArray(); // 8- and 16-bit values are exact in float
    }

    private static void Check(TensorProto t, long got, long want, string field)
    {
        if (got != want)
            throw new DflareException($"Tensor '{t.Name}' has {got} values in {field}; its dims {FormatShape(t.Dims)} need {want}.");
    }

    /// <summary>Creates a FLOAT tensor (raw data).</summary>
    public static TensorProto FromFloats(string name, IEnumerable<long> dims, ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        return Make(name, dims, TensorProto.Types.DataType.Float, bytes, values.Length);
    }

    /// <summary>Creates a FLOAT16 tensor (raw data) from float values, rounded to the nearest half.</summary>
    public static TensorProto FromFloatsAsFloat16(string name, IEnumerable<long> dims, ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(i * 2), (Half)values[i]);
        return Make(name, dims, TensorProto.Types.DataType.Float16, bytes, values.Length);
    }

    /// <summary>Creates an INT8 tensor (raw data).</summary>
    public static TensorProto FromInt8(string name, IEnumerable<long> dims, ReadOnlySpan<sbyte> values)
    {
        var bytes = new byte[values.Length];
        for (int i = 0; i < values.Length; i++) bytes[i] = unchecked((byte)values[i]);
        return Make(name, dims, TensorProto.Types.DataType.Int8, bytes, values.Length);
    }

    /// <summary>Creates a UINT8 tensor (raw data).</summary>
    public static TensorProto FromUInt8(string name, IEnumerable<long> dims, ReadOnlySpan<byte> values) =>
        Make(name, dims, TensorProto.Types.DataType.Uint8, values.ToArray(), values.Length);

    /// <summary>Creates an INT32 tensor (raw data).</summary>
    public static TensorProto FromInt32(string name, IEnumerable<long> dims, ReadOnlySpan<int> values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * 4), values[i]);
        return Make(name, dims, TensorProto.Types.DataType.Int32, bytes, values.Length);
    }

    /// <summary>Creates an INT64 tensor (raw data).</summary>
    public static TensorProto FromInt64(string name, IEnumerable<long> dims, ReadOnlySpan<long> values)
    {
        var bytes = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), values[i]);
        return Make(name, dims, TensorProto.Types.DataType.Int64, bytes, values.Length);
    }

    /// <summary>Replaces the data of a FLOAT tensor in place (same dims), clearing the typed field it may have used.</summary>
    /// <exception cref="ArgumentException">The tensor is not FLOAT or the value count does not match its dims.</exception>
    public static void SetFloats(TensorProto t, ReadOnlySpan<float> values)
    {
        if (t.DataType != (int)TensorProto.Types.DataType.Float) throw new ArgumentException($"Tensor '{t.Name}' is {TypeName(t.DataType)}, not FLOAT.");
        if (values.Length != ElementCount(t)) throw new ArgumentException($"Tensor '{t.Name}' has {ElementCount(t)} elements; got {values.Length} values.");
        var fresh = FromFloats(t.Name, t.Dims, values);
        t.FloatData.Clear();
        t.RawData = fresh.RawData;
    }

    private static TensorProto Make(string name, IEnumerable<long> dims, TensorProto.Types.DataType type, byte[] raw, int count)
    {
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = UnsafeByteOperations.UnsafeWrap(raw) };
        t.Dims.AddRange(dims);
        if (ElementCount(t) != count)
            throw new ArgumentException($"Tensor '{name}': dims {FormatShape(t.Dims)} do not hold {count} values.");
        return t;
    }
}
