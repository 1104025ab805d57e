using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using ConvNet.Layers;

namespace ConvNet.Serialization;

/// <summary>Writes and reads the architecture of each built-in layer as JSON (no reflection: AOT- and trim-safe).</summary>
internal static class LayerConfig
{
    public static void Write(Utf8JsonWriter w, Layer layer)
    {
        w.WriteStartObject();
        w.WriteString("type", layer.GetType().Name);
        w.WriteString("name", layer.Name);
        switch (layer)
        {
            case ConvolutionND c:
                w.WriteNumber("in", c.InChannels);
                w.WriteNumber("out", c.OutChannels);
                WriteInts(w, "kernel", c.KernelSize);
                WriteInts(w, "stride", c.Stride);
                WriteInts(w, "dilation", c.Dilation);
                w.WriteString("padding", c.Padding.Mode.ToString());
                if (c.Padding.Mode == PaddingMode.Explicit)
                {
                    w.WriteStartArray("paddingAmounts");
                    foreach (var (b, a) in c.Padding.Amounts)
                    {
                        w.WriteStartArray();
                        w.WriteNumberValue(b);
                        w.WriteNumberValue(a);
                        w.WriteEndArray();
                    }

                    w.WriteEndArray();
                }

                w.WriteBoolean("bias", c.Bias is not null);
                w.WriteString("initializer", c.WeightInitializer.Name);
                if (!c.Connections.IsFull)
                {
                    w.WriteStartArray("connections");
                    for (int q = 0; q < c.OutChannels; q++)
                    {
                        w.WriteStartArray();
                        foreach (int p in c.Connections.InputsOf(q))
                        {
                            w.WriteNumberValue(p);
                        }

                        w.WriteEndArray();
                    }

                    w.WriteEndArray();
                }

                break;
            case FullyConnected f:
                w.WriteNumber("in", f.Inputs);
                w.WriteNumber("out", f.Outputs);
                w.WriteBoolean("bias", f.Bias is not null);
                w.WriteString("initializer", f.WeightInitializer.Name);
                break;
            case PoolingND p:
                WriteInts(w, "kernel", p.KernelSize);
                WriteInts(w, "stride", p.Stride);
                WriteInts(w, "padding", p.Padding);
                break;
            case ReLU or Sigmoid or Tanh or Flatten:
                break;
            default:
                throw new NotSupportedException($"Layer type {layer.GetType().FullName} ('{layer.Name}') cannot be serialized; only the built-in layers can.");
        }

        w.WriteEndObject();
    }

    /// <summary>The parameter count a layer entry implies, computed from its settings alone (no allocation).</summary>
    public static long ParameterCount(JsonElement e)
    {
        string type = Str(e, "type");
        if (type.StartsWith("Conv", StringComparison.Ordinal) && type.Length == 6)
        {
            int rank = type[4] - '0';
            long k = 1;
            foreach (int v in Ints(e, "kernel", rank))
            {
                k *= Math.Max(v, 1);
            }

            return ((long)Int(e, "in") * Int(e, "out") * k) + Int(e, "out");
        }

        return type == "FullyConnected" ? ((long)Int(e, "in") * Int(e, "out")) + Int(e, "out") : 0;
    }

    public static Layer Read(JsonElement e)
    {
        string type = Str(e, "type");
        Layer layer = type switch
        {
            "Conv1D" => new Conv1D(Int(e, "in"), Int(e, "out"), Ints(e, "kernel", 1)[0], Ints(e, "stride", 1)[0], Pad(e, 1), Ints(e, "dilation", 1)[0], Table(e), Bool(e, "bias"), Init(e)),
            "Conv2D" => new Conv2D(Int(e, "in"), Int(e, "out"), Ints(e, "kernel", 2), Ints(e, "stride", 2), Ints(e, "dilation", 2), Pad(e, 2), Table(e), Bool(e, "bias"), Init(e)),
            "Conv3D" => new Conv3D(Int(e, "in"), Int(e, "out"), Ints(e, "kernel", 3), Ints(e, "stride", 3), Ints(e, "dilation", 3), Pad(e, 3), Table(e), Bool(e, "bias"), Init(e)),
            "FullyConnected" => new FullyConnected(Int(e, "in"), Int(e, "out"), Bool(e, "bias"), Init(e)),
            "MaxPool1D" => new MaxPool1D(Ints(e, "kernel", 1), Ints(e, "stride", 1), Ints(e, "padding", 1)),
            "MaxPool2D" => new MaxPool2D(Ints(e, "kernel", 2), Ints(e, "stride", 2), Ints(e, "padding", 2)),
            "MaxPool3D" => new MaxPool3D(Ints(e, "kernel", 3), Ints(e, "stride", 3), Ints(e, "padding", 3)),
            "AveragePool1D" => new AveragePool1D(Ints(e, "kernel", 1), Ints(e, "stride", 1), Ints(e, "padding", 1)),
            "AveragePool2D" => new AveragePool2D(Ints(e, "kernel", 2), Ints(e, "stride", 2), Ints(e, "padding", 2)),
            "AveragePool3D" => new AveragePool3D(Ints(e, "kernel", 3), Ints(e, "stride", 3), Ints(e, "padding", 3)),
            "ReLU" => new ReLU(),
            "Sigmoid" => new Sigmoid(),
            "Tanh" => new Tanh(),
            "Flatten" => new Flatten(),
            _ => throw new InvalidDataException($"Unknown layer type '{type}' in the model file."),
        };
        layer.Name = Str(e, "name");
        return layer;
    }

    private static void WriteInts(Utf8JsonWriter w, string name, ReadOnlySpan<int> values)
    {
        w.WriteStartArray(name);
        foreach (int v in values)
        {
            w.WriteNumberValue(v);
        }

        w.WriteEndArray();
    }

    private static JsonElement Prop(JsonElement e, string name)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out var v))
        {
            throw new InvalidDataException($"A layer entry in the model file lacks '{name}'.");
        }

        return v;
    }

    private static string Str(JsonElement e, string name)
    {
        var v = Prop(e, name);
        return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new InvalidDataException($"'{name}' must be a string.");
    }

    private static bool Bool(JsonElement e, string name)
    {
        var v = Prop(e, name);
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new InvalidDataException($"'{name}' must be true or false."),
        };
    }

    private static int Int(JsonElement e, string name)
    {
        var v = Prop(e, name);
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int i) || i <= 0 || i > 1 << 20)
        {
            throw new InvalidDataException($"'{name}' must be an integer in 1..{1 << 20}.");
        }

        return i;
    }

    private static int[] Ints(JsonElement e, string name, int count)
    {
        var v = Prop(e, name);
        if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() != count)
        {
            throw new InvalidDataException($"'{name}' must be an array of {count} integers.");
        }

        var r = new int[count];
        int i = 0;
        foreach (var x in v.EnumerateArray())
        {
            if (x.ValueKind != JsonValueKind.Number || !x.TryGetInt32(out r[i]) || r[i] < 0 || r[i] > 1 << 20)
            {
                throw new InvalidDataException($"'{name}' must hold integers in 0..{1 << 20}.");
            }

            i++;
        }

        return r;
    }

    private static Padding Pad(JsonElement e, int rank)
    {
        string mode = Str(e, "padding");
        switch (mode)
        {
            case "Valid":
                return Padding.Valid;
            case "Same":
                return Padding.Same;
            case "Full":
                return Padding.Full;
            case "Explicit":
                var v = Prop(e, "paddingAmounts");
                if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() != rank)
                {
                    throw new InvalidDataException($"'paddingAmounts' must hold {rank} pairs.");
                }

                var pairs = new List<(int, int)>();
                foreach (var p in v.EnumerateArray())
                {
                    if (p.ValueKind != JsonValueKind.Array || p.GetArrayLength() != 2 || !p[0].TryGetInt32(out int b) || !p[1].TryGetInt32(out int a) || b < 0 || a < 0)
                    {
                        throw new InvalidDataException("A padding pair must be two non-negative integers.");
                    }

                    pairs.Add((b, a));
                }

                return Padding.Explicit(pairs.ToArray());
            default:
                throw new InvalidDataException($"Unknown padding mode '{mode}'.");
        }
    }

    private static ConnectionTable? Table(JsonElement e)
    {
        if (!e.TryGetProperty("connections", out var v))
        {
            return null;
        }

        int inputs = Int(e, "in");
        if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() != Int(e, "out"))
        {
            throw new InvalidDataException("'connections' must list the input maps of every output map.");
        }

        var sets = new List<IEnumerable<int>>();
        foreach (var q in v.EnumerateArray())
        {
            if (q.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException("Each connection set must be an array.");
            }

            var set = new List<int>();
            foreach (var p in q.EnumerateArray())
            {
                if (!p.TryGetInt32(out int i) || i < 0 || i >= inputs)
                {
                    throw new InvalidDataException($"A connection names input {p}, outside 0..{inputs - 1}.");
                }

                set.Add(i);
            }

            sets.Add(set);
        }

        try
        {
            return ConnectionTable.FromSets(inputs, sets);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException("Invalid connection table: " + ex.Message, ex);
        }
    }

    private static Initialization.WeightInitializer Init(JsonElement e)
    {
        try
        {
            return Initialization.WeightInitializer.FromName(Str(e, "initializer"));
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException(ex.Message, ex);
        }
    }
}
