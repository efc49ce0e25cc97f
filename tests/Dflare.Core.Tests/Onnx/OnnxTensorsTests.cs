using System.Buffers.Binary;
using Dflare.Onnx;
using Dflare.Onnx.Proto;
using Google.Protobuf;

namespace Dflare.Tests.Onnx;

public sealed class OnnxTensorsTests
{
    private static TensorProto Typed(TensorProto.Types.DataType type, long[] dims)
    {
        var t = new TensorProto { Name = "t", DataType = (int)type };
        t.Dims.AddRange(dims);
        return t;
    }

    [Fact]
    public void Typed_fields_are_read_in_each_types_own_width()
    {
        var f = Typed(TensorProto.Types.DataType.Float, [3]);
        f.FloatData.AddRange([1.5f, -2f, 0f]);
        OnnxTensors.ToFloats(f).Should().Equal(1.5f, -2f, 0f);

        var h = Typed(TensorProto.Types.DataType.Float16, [2]);
        h.Int32Data.AddRange([BitConverter.HalfToUInt16Bits((Half)0.5f), BitConverter.HalfToUInt16Bits((Half)(-3f))]);
        OnnxTensors.ToFloats(h).Should().Equal(0.5f, -3f);

        var i8 = Typed(TensorProto.Types.DataType.Int8, [3]);
        i8.Int32Data.AddRange([-128, 127, 0xFF]); // 0xFF as stored widened is -1 in int8
        OnnxTensors.ToFloats(i8).Should().Equal(-128f, 127f, -1f);

        var u8 = Typed(TensorProto.Types.DataType.Uint8, [2]);
        u8.Int32Data.AddRange([255, 93]);
        OnnxTensors.ToFloats(u8).Should().Equal(255f, 93f);

        var i32 = Typed(TensorProto.Types.DataType.Int32, [2]);
        i32.Int32Data.AddRange([-70000, 5]);
        OnnxTensors.ToFloats(i32).Should().Equal(-70000f, 5f);
        var big = Typed(TensorProto.Types.DataType.Int32, [1]);
        big.Int32Data.Add(16_777_217); // 2^24 + 1: not a float
        OnnxTensors.ToInt64s(big).Should().Equal(16_777_217L);

        var i64 = Typed(TensorProto.Types.DataType.Int64, [2, 1]);
        i64.Int64Data.AddRange([-1L, 1L << 40]);
        OnnxTensors.ToInt64s(i64).Should().Equal(-1L, 1L << 40);
    }

    [Fact]
    public void Raw_data_is_little_endian_for_every_type()
    {
        var raw = new byte[8];
        BinaryPrimitives.WriteSingleLittleEndian(raw, 3.25f);
        BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(4), -1e-3f);
        var f = Typed(TensorProto.Types.DataType.Float, [2]);
        f.RawData = ByteString.CopyFrom(raw);
        OnnxTensors.ToFloats(f).Should().Equal(3.25f, -1e-3f);

        var i64 = Typed(TensorProto.Types.DataType.Int64, [1]);
        i64.RawData = ByteString.CopyFrom(BitConverter.GetBytes(-5L));
        OnnxTensors.ToInt64s(i64).Should().Equal(-5L);

        var i8 = Typed(TensorProto.Types.DataType.Int8, [2]);
        i8.RawData = ByteString.CopyFrom([0x80, 0x7F]);
        OnnxTensors.ToFloats(i8).Should().Equal(-128f, 127f);

        var h = Typed(TensorProto.Types.DataType.Float16, [1]);
        h.RawData = ByteString.CopyFrom([0x00, 0x3C]); // 1.0 in IEEE half, little-endian
        OnnxTensors.ToFloats(h).Should().Equal(1f);
    }

    [Fact]
    public void Written_tensors_read_back_identically()
    {
        float[] values = [0.1f, -7.5f, 3e8f, float.Epsilon];
        OnnxTensors.ToFloats(OnnxTensors.FromFloats("a", [2, 2], values)).Should().Equal(values);
        OnnxTensors.ToFloats(OnnxTensors.FromInt8("b", [3], [(sbyte)-127, 0, 127])).Should().Equal(-127f, 0f, 127f);
        OnnxTensors.ToFloats(OnnxTensors.FromUInt8("c", [], [200])).Should().Equal(200f);
        OnnxTensors.ToFloats(OnnxTensors.FromInt32("d", [2], [int.MinValue, 42])).Should().Equal(int.MinValue, 42f);
        OnnxTensors.ToInt64s(OnnxTensors.FromInt64("e", [1], [long.MaxValue])).Should().Equal(long.MaxValue);
        OnnxTensors.ToFloats(OnnxTensors.FromFloatsAsFloat16("f", [2], [0.333333f, 70000f]))
            .Should().Equal((float)(Half)0.333333f, float.PositiveInfinity);
    }

    [Fact]
    public void Data_that_does_not_match_the_dims_is_a_clear_error()
    {
        var f = Typed(TensorProto.Types.DataType.Float, [4]);
        f.RawData = ByteString.CopyFrom(new byte[12]);
        var act = () => OnnxTensors.ToFloats(f);
        act.Should().Throw<DflareException>().WithMessage("*'t' has 12 bytes of raw data*[4] of FLOAT need 16*");

        var s = Typed(TensorProto.Types.DataType.String, [1]);
        s.StringData.Add(ByteString.CopyFromUtf8("x"));
        ((Action)(() => OnnxTensors.ToFloats(s))).Should().Throw<DflareException>().WithMessage("*STRING*cannot be read*");
    }

    [Fact]
    public void The_uint8_zero_point_that_resnet8_int8_stores_in_int32_data_reads_as_93()
    {
        var model = OnnxModel.Load(SharedData.Require("models/cifar10/resnet8-int8.onnx"));
        var zp = model.Initializer("76_zero_point");

        zp.HasRawData.Should().BeFalse("this file uses the typed field");
        zp.DataType.Should().Be((int)TensorProto.Types.DataType.Uint8);
        OnnxTensors.ToFloats(zp).Should().Equal(93f);
    }
}
