using System;
using System.IO;
using System.Linq;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Onnx.Proto;
using Google.Protobuf;

namespace ConvNet.Core.Tests.Onnx.Import;

/// <summary>Hand-built single-chain ONNX models for operator/attribute tests (input "x" [N, …], output "y").</summary>
internal sealed class GraphBuilder
{
    private readonly ModelProto _model;
    private readonly Random _rng = new(7);
    private string _last = "x";
    private int _count;

    public GraphBuilder(int opset, params long[] sampleShape)
    {
        _model = new ModelProto { IrVersion = 8, Graph = new GraphProto { Name = "g" } };
        _model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = opset });
        _model.Graph.Input.Add(Value("x", sampleShape));
    }

    public string Weights(params int[] dims)
    {
        string name = "w" + _count++;
        var t = new TensorProto { Name = name, DataType = 1 };
        t.Dims.AddRange(dims.Select(d => (long)d));
        t.FloatData.AddRange(Reference.Random(_rng, dims.Aggregate(1, (a, b) => a * b)));
        _model.Graph.Initializer.Add(t);
        return name;
    }

    public string Ints(params long[] values)
    {
        string name = "i" + _count++;
        var t = new TensorProto { Name = name, DataType = 7 };
        t.Dims.Add(values.Length);
        t.Int64Data.AddRange(values);
        _model.Graph.Initializer.Add(t);
        return name;
    }

    public GraphBuilder Node(string op, string[] extraInputs, params AttributeProto[] attributes)
    {
        var n = new NodeProto { OpType = op, Name = op + _count++ };
        n.Input.Add(_last);
        n.Input.AddRange(extraInputs);
        _last = "t" + _count++;
        n.Output.Add(_last);
        n.Attribute.AddRange(attributes);
        _model.Graph.Node.Add(n);
        return this;
    }

    public GraphBuilder Node(string op, params AttributeProto[] attributes) => Node(op, [], attributes);

    public static AttributeProto Int(string name, long v) => new() { Name = name, I = v, Type = AttributeProto.Types.AttributeType.Int };

    public static AttributeProto Float(string name, float v) => new() { Name = name, F = v, Type = AttributeProto.Types.AttributeType.Float };

    public static AttributeProto Str(string name, string v) => new() { Name = name, S = ByteString.CopyFromUtf8(v), Type = AttributeProto.Types.AttributeType.String };

    public static AttributeProto Ints(string name, params long[] v)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(v);
        return a;
    }

    /// <summary>Finishes the graph (output "y") and writes it; returns the bytes.</summary>
    public byte[] Save(string path)
    {
        var m = _model.Clone();
        var id = new NodeProto { OpType = "Identity", Name = "out" };
        id.Input.Add(_last);
        id.Output.Add("y");
        m.Graph.Node.Add(id);
        m.Graph.Output.Add(new ValueInfoProto { Name = "y", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } });
        var bytes = m.ToByteArray();
        File.WriteAllBytes(path, bytes);
        return bytes;
    }

    private static ValueInfoProto Value(string name, long[] sampleShape)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
        foreach (long d in sampleShape)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } };
    }
}
