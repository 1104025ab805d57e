using System;
using System.IO;
using System.Linq;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Onnx;
using ConvNet.Onnx.Proto;
using FluentAssertions;
using Google.Protobuf;
using Xunit;

namespace ConvNet.Core.Tests.Onnx.Import;

/// <summary>
/// Structure-aware fuzzing of the ONNX importer, like the model loader's: each file is a well-formed protobuf made from
/// a PyTorch fixture with one hostile value (a dim, an attribute, an external-data reference, an edge that closes a
/// cycle, a missing initializer), or the file is truncated or has bytes flipped. Every file imports or raises
/// <see cref="InvalidDataException"/> (or <see cref="NotSupportedException"/> for a well-formed file using something
/// the importer does not map), and none makes the importer allocate more than a small bound.
/// </summary>
public class OnnxFuzzTests
{
    private static readonly long[] Hostile = [0, -1, 2, 65_536, int.MaxValue, (long)int.MaxValue + 1, uint.MaxValue, long.MaxValue, long.MinValue];
    private const long AllocationBound = 64L << 20;

    private static ModelProto Fixture(string name) => ModelProto.Parser.ParseFrom(File.ReadAllBytes(ImportFixtures.ModelPath(name)));

    /// <summary>Imports the bytes; returns the exception (null when it imported) after checking type and allocation.</summary>
    private static Exception? ImportOrReject(TempDirectory dir, byte[] bytes, string what)
    {
        string path = dir.File("fuzz.onnx");
        File.WriteAllBytes(path, bytes);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Exception? error = null;
        try
        {
            OnnxImporter.Load(path);
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            error = e;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        allocated.Should().BeLessThan(AllocationBound + (20L * bytes.Length), what);
        return error;
    }

    [Fact]
    public void Hostile_initializer_dims_are_InvalidDataException()
    {
        using var dir = new TempDirectory("onnx-fuzz");
        var model = Fixture("resnet20");
        int cases = 0;
        for (int t = 0; t < model.Graph.Initializer.Count; t += 3)
        {
            for (int d = 0; d < model.Graph.Initializer[t].Dims.Count; d++)
            {
                foreach (long v in Hostile)
                {
                    var m = model.Clone();
                    if (m.Graph.Initializer[t].Dims[d] == v)
                    {
                        continue;
                    }

                    m.Graph.Initializer[t].Dims[d] = v;
                    ImportOrReject(dir, m.ToByteArray(), $"initializer {t} dim {d} = {v}").Should().BeOfType<InvalidDataException>();
                    cases++;
                }
            }
        }

        cases.Should().BeGreaterThan(100);
    }

    [Fact]
    public void Hostile_attributes_and_input_dims_import_or_are_rejected_in_bounded_memory()
    {
        using var dir = new TempDirectory("onnx-fuzz");
        var model = Fixture("grouped_concat");
        var rejected = 0;
        for (int n = 0; n < model.Graph.Node.Count; n++)
        {
            for (int a = 0; a < model.Graph.Node[n].Attribute.Count; a++)
            {
                foreach (long v in Hostile)
                {
                    var m = model.Clone();
                    var attr = m.Graph.Node[n].Attribute[a];
                    attr.I = v;
                    for (int k = 0; k < attr.Ints.Count; k++)
                    {
                        attr.Ints[k] = v;
                    }

                    rejected += ImportOrReject(dir, m.ToByteArray(), $"node {n} attribute {attr.Name} = {v}") is null ? 0 : 1;
                }
            }
        }

        for (int d = 1; d < model.Graph.Input[0].Type.TensorType.Shape.Dim.Count; d++)
        {
            foreach (long v in Hostile)
            {
                var m = model.Clone();
                m.Graph.Input[0].Type.TensorType.Shape.Dim[d].DimValue = v;
                var e = ImportOrReject(dir, m.ToByteArray(), $"input dim {d} = {v}");
                if (v <= 0 || v > int.MaxValue)
                {
                    e.Should().BeOfType<InvalidDataException>();
                }
            }
        }

        rejected.Should().BeGreaterThan(50);
    }

    [Fact]
    public void Truncated_files_are_InvalidDataException()
    {
        using var dir = new TempDirectory("onnx-fuzz");
        var bytes = File.ReadAllBytes(ImportFixtures.ModelPath("resnet20"));
        for (int length = 0; length < bytes.Length; length += Math.Max(1, bytes.Length / 150))
        {
            ImportOrReject(dir, bytes[..length], $"truncated to {length}").Should().BeOfType<InvalidDataException>($"truncated to {length} of {bytes.Length} bytes");
        }
    }

    [Fact]
    public void Flipped_bytes_import_or_are_rejected_with_a_data_or_support_error()
    {
        using var dir = new TempDirectory("onnx-fuzz");
        var original = File.ReadAllBytes(ImportFixtures.ModelPath("grouped_concat"));
        var rng = new Random(11);
        for (int i = 0; i < 400; i++)
        {
            var bytes = (byte[])original.Clone();
            int at = rng.Next(bytes.Length);
            bytes[at] = (byte)rng.Next(256);
            ImportOrReject(dir, bytes, $"byte {at} = {bytes[at]}"); // any other exception type fails the test
        }
    }

    [Fact]
    public void A_cycle_a_missing_initializer_and_a_too_large_file_are_InvalidDataException()
    {
        using var dir = new TempDirectory("onnx-fuzz");
        var cyclic = Fixture("lenet5");
        cyclic.Graph.Node[0].Input[0] = cyclic.Graph.Node[^1].Output[0];
        cyclic.Graph.Input[0].Name = "unused";
        ImportOrReject(dir, cyclic.ToByteArray(), "cycle").Should().BeOfType<InvalidDataException>().Which.Message.Should().Contain("cycle");

        var twoNodeCycle = Fixture("lenet5");
        twoNodeCycle.Graph.Node[1].Input[0] = twoNodeCycle.Graph.Node[2].Output[0];
        ImportOrReject(dir, twoNodeCycle.ToByteArray(), "cycle").Should().BeOfType<InvalidDataException>();

        var missing = Fixture("resnet20");
        string gone = missing.Graph.Initializer[3].Name;
        missing.Graph.Initializer.RemoveAt(3);
        ImportOrReject(dir, missing.ToByteArray(), "missing").Should().BeOfType<InvalidDataException>().Which.Message.Should().Contain(gone);

        string path = ImportFixtures.ModelPath("lenet5");
        var act = () => OnnxImporter.Load(path, new OnnxImportOptions { MaxFileBytes = 1000 });
        act.Should().Throw<InvalidDataException>().WithMessage("*MaxFileBytes*");
        var none = () => OnnxImporter.Load(dir.File("absent.onnx"));
        none.Should().Throw<FileNotFoundException>();
    }

    [Theory]
    [InlineData("../outside.bin")]
    [InlineData("sub/../../outside.bin")]
    [InlineData("/etc/passwd")]
    [InlineData("")]
    public void External_data_outside_the_model_folder_is_InvalidDataException(string location)
    {
        using var dir = new TempDirectory("onnx-fuzz");
        var m = Fixture("lenet5");
        var t = m.Graph.Initializer[0];
        File.WriteAllBytes(Path.Combine(Path.GetDirectoryName(dir.Path)!, "outside.bin"), t.RawData.ToByteArray());
        try
        {
            Externalize(t, location, 0, t.RawData.Length);
            ImportOrReject(dir, m.ToByteArray(), location).Should().BeOfType<InvalidDataException>().Which.Message.Should().Contain("external data");
        }
        finally
        {
            File.Delete(Path.Combine(Path.GetDirectoryName(dir.Path)!, "outside.bin"));
        }
    }

    [Fact]
    public void External_data_inside_the_folder_loads_and_out_of_range_offsets_are_rejected()
    {
        using var dir = new TempDirectory("onnx-fuzz");
        var (x, expected) = ImportFixtures.Load("lenet5");
        var m = Fixture("lenet5");
        using (var data = File.Create(dir.File("weights.bin")))
        {
            data.Write(new byte[16]);
            foreach (var t in m.Graph.Initializer)
            {
                long offset = data.Position;
                data.Write(t.RawData.Span);
                Externalize(t, "weights.bin", offset, t.RawData.Length);
            }
        }

        File.WriteAllBytes(dir.File("model.onnx"), m.ToByteArray());
        var net = OnnxImporter.Load(dir.File("model.onnx"));
        ImportFixtures.RelativeMaxDiff(net.Predict(x).ToArray(), expected.ToArray()).Should().BeLessThanOrEqualTo(1e-4);

        foreach (long offset in new[] { -1L, 1L << 40, long.MaxValue })
        {
            var bad = m.Clone();
            bad.Graph.Initializer[0].ExternalData.Single(e => e.Key == "offset").Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture);
            ImportOrReject(dir, bad.ToByteArray(), $"offset {offset}").Should().BeOfType<InvalidDataException>();
        }
    }

    private static void Externalize(TensorProto t, string location, long offset, long length)
    {
        t.ClearRawData();
        t.DataLocation = 1;
        t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
    }

    [Fact]
    public void Every_unsupported_operator_is_listed_at_once_with_node_and_opset()
    {
        using var dir = new TempDirectory("onnx-fuzz");
        var m = Fixture("lenet5");
        m.Graph.Node[1].OpType = "Elu";
        m.Graph.Node[4].OpType = "HardSwish";
        m.Graph.Node[6].Domain = "com.microsoft";
        var e = ImportOrReject(dir, m.ToByteArray(), "unsupported").Should().BeOfType<NotSupportedException>().Which;
        e.Message.Should().Contain("Elu (node '" + m.Graph.Node[1].Name + "')").And.Contain("HardSwish (node '" + m.Graph.Node[4].Name + "')")
            .And.Contain("com.microsoft." + m.Graph.Node[6].OpType).And.Contain("opset 11").And.Contain("3 node(s)");
    }

    [Theory]
    [InlineData(9)]
    [InlineData(22)]
    public void An_opset_outside_the_supported_range_is_NotSupportedException(long opset)
    {
        using var dir = new TempDirectory("onnx-fuzz");
        var m = Fixture("lenet5");
        m.OpsetImport[0].Version = opset;
        ImportOrReject(dir, m.ToByteArray(), "opset").Should().BeOfType<NotSupportedException>().Which.Message.Should().Contain($"opset {opset}");
    }
}
