using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json.Nodes;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Layers;
using ConvNet.Optimizers;
using ConvNet.Serialization;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Robustness;

/// <summary>
/// Structure-aware fuzzing of the model loader: every generated file is well-formed safetensors with a correct checksum
/// and a parseable architecture, but one value in it is hostile — a layer setting, an input dimension, a tensor's shape
/// or offsets — or one layer is dropped, repeated or moved, or a key is given twice. Each file loads or raises
/// <see cref="InvalidDataException"/>, and no file makes the loader allocate more than a small multiple of its size.
/// </summary>
public class ModelFuzzTests
{
    private static readonly long[] Hostile =
    [
        0, -1, 1, 2, 3, 7, 8000, 65_535, 65_536, 1 << 20, int.MaxValue, (long)int.MaxValue + 1, uint.MaxValue, long.MaxValue, -2_147_483_648,
    ];

    /// <summary>Every family of built-in layers in one small network: containers, convolutions, pools, norms, heads.</summary>
    private static (Network Net, Optimizer Opt) Zoo()
    {
        var net = new Network(2, 8, 8)
            .Add(new Conv2D(2, 4, 3, padding: Padding.Same))
            .Add(new BatchNorm2D(4))
            .Add(new Residual(new Sequential(new Conv2D(4, 4, 3, padding: Padding.Same), new ReLU()), new Conv2D(4, 4, 1)))
            .Add(new Concat(new MaxPool2D(2), new AveragePool2D(2)))
            .Add(new LeakyReLU(0.1))
            .Add(new Dropout(0.25, seed: 3))
            .Add(new GlobalAveragePool2D())
            .Add(new Flatten())
            .Add(new FullyConnected(8, 5))
            .Add(new Tanh())
            .Add(new Reshape(5))
            .Add(new LogSoftmax());
        var adam = new Adam(1e-3);
        foreach (var p in net.Parameters)
        {
            adam.State(p);
        }

        return (net, adam);
    }

    /// <summary>Every number in a JSON tree, as a setter that replaces it.</summary>
    private static List<Action<long>> Numbers(JsonNode node)
    {
        var result = new List<Action<long>>();
        void Walk(JsonNode n)
        {
            if (n is JsonObject o)
            {
                foreach (var (key, value) in new List<KeyValuePair<string, JsonNode?>>(o))
                {
                    if (value is JsonValue v && v.TryGetValue(out double _))
                    {
                        result.Add(x => o[key] = x);
                    }
                    else if (value is not null)
                    {
                        Walk(value);
                    }
                }
            }
            else if (n is JsonArray a)
            {
                for (int i = 0; i < a.Count; i++)
                {
                    int at = i;
                    if (a[i] is JsonValue v && v.TryGetValue(out double _))
                    {
                        result.Add(x => a[at] = x);
                    }
                    else if (a[i] is not null)
                    {
                        Walk(a[i]!);
                    }
                }
            }
        }

        Walk(node);
        return result;
    }

    private static byte[] Generate(byte[] original, Random rng, out string what, out bool mustReject)
    {
        var f = new SafetensorsFile(original);
        mustReject = false;
        switch (rng.Next(5))
        {
            case 0: // one hostile number in the architecture (a kernel, a stride, a padding, a channel count, the input)
                {
                    var arch = f.Architecture;
                    var numbers = Numbers(arch);
                    int i = rng.Next(numbers.Count);
                    long v = Hostile[rng.Next(Hostile.Length)];
                    numbers[i](v);
                    f.Architecture = arch;
                    what = $"architecture number {i} := {v}";
                    return f.ToBytes();
                }

            case 1: // one hostile number in the tensor table (a dimension or an offset)
                {
                    var numbers = Numbers(f.Header);
                    int i = rng.Next(numbers.Count);
                    long v = Hostile[rng.Next(Hostile.Length)];
                    numbers[i](v);
                    what = $"table number {i} := {v}";
                    return f.ToBytes();
                }

            case 2: // a layer dropped, repeated or moved
                {
                    var arch = f.Architecture;
                    var layers = arch["layers"]!.AsArray();
                    int i = rng.Next(layers.Count), j = rng.Next(layers.Count);
                    int op = rng.Next(3);
                    var layer = layers[i]!.DeepClone();
                    if (op == 0)
                    {
                        layers.RemoveAt(i);
                    }
                    else if (op == 1)
                    {
                        layers.Insert(j, layer);
                    }
                    else
                    {
                        layers.RemoveAt(i);
                        layers.Insert(Math.Min(j, layers.Count), layer);
                    }

                    f.Architecture = arch;
                    what = $"layer {i} op {op} at {j}";
                    return f.ToBytes();
                }

            case 3: // a metadata value replaced by a hostile string
                {
                    string[] keys = ["convnet.epochs", "convnet.batches", "convnet.seed", "convnet.optimizer", "format"];
                    string key = keys[rng.Next(keys.Length)];
                    string[] values = ["-1", "99999999999", "", "{}", "{\"type\":\"Adam\",\"lr\":1e309}", "{\"type\":\"Sgd\",\"lr\":-1}", "1e5", "convnet.safetensors/1"];
                    string v = values[rng.Next(values.Length)];
                    f.Metadata[key] = v;
                    what = $"{key} := {v}";
                    return f.ToBytes();
                }

            default: // a key given twice somewhere in the header
                {
                    string header = f.HeaderText();
                    int at = header.IndexOf("\"shape\":", rng.Next(header.Length / 2), StringComparison.Ordinal);
                    at = at < 0 ? header.IndexOf("\"shape\":", StringComparison.Ordinal) : at;
                    what = "duplicate shape key";
                    mustReject = true;
                    return f.Build(header.Insert(at, "\"shape\":[1],"));
                }
        }
    }

    [Fact]
    public void Two_thousand_hostile_but_well_formed_model_files_load_or_raise_InvalidDataException_in_bounded_memory()
    {
        var (net, opt) = Zoo();
        var ms = new MemoryStream();
        ModelSerializer.Save(net, ms, opt);
        var original = ms.ToArray();
        ModelSerializer.LoadCheckpoint(new MemoryStream(original)).Network.Summary().Should().Be(net.Summary());
        var rng = new Random(20261206);
        int rejected = 0;
        for (int i = 0; i < 2000; i++)
        {
            var bytes = Generate(original, rng, out string what, out bool mustReject);
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                ModelSerializer.LoadCheckpoint(new MemoryStream(bytes));
                mustReject.Should().BeFalse($"case {i} ({what}) is malformed and must not load");
            }
            catch (InvalidDataException)
            {
                rejected++;
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"Case {i} ({what}) raised {e.GetType().Name}: {e.Message}", e);
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            allocated.Should().BeLessThan((4L << 20) + (64L * bytes.Length), $"case {i} ({what}) must not make the loader allocate more than the file justifies");
        }

        rejected.Should().BeGreaterThan(1000, "most hostile values are rejected");
        rejected.Should().BeLessThan(2000, "some changes (a harmless number, a layer moved where it still fits) load");
    }
}
