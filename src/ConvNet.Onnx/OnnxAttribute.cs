using System;

using ConvNet.Onnx.Proto;

namespace ConvNet.Onnx;

/// <summary>An attribute of an ONNX node (int, float, ints or string), for <see cref="OnnxGraphBuilder.AddNode"/>.</summary>
public sealed class OnnxAttribute
{
    private OnnxAttribute(AttributeProto proto)
    {
        Proto = proto;
    }

    internal AttributeProto Proto { get; }

    /// <summary>An integer attribute.</summary>
    /// <param name="name">The attribute's name.</param>
    /// <param name="value">The value.</param>
    /// <returns>The attribute.</returns>
    public static OnnxAttribute Int(string name, long value) => new(new AttributeProto { Name = name, I = value, Type = AttributeProto.Types.AttributeType.Int });

    /// <summary>A float attribute.</summary>
    /// <param name="name">The attribute's name.</param>
    /// <param name="value">The value.</param>
    /// <returns>The attribute.</returns>
    public static OnnxAttribute Float(string name, float value) => new(new AttributeProto { Name = name, F = value, Type = AttributeProto.Types.AttributeType.Float });

    /// <summary>An integer-list attribute.</summary>
    /// <param name="name">The attribute's name.</param>
    /// <param name="values">The values.</param>
    /// <returns>The attribute.</returns>
    public static OnnxAttribute Ints(string name, ReadOnlySpan<int> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        foreach (int v in values)
        {
            a.Ints.Add(v);
        }

        return new(a);
    }

    /// <summary>An integer-list attribute.</summary>
    /// <param name="name">The attribute's name.</param>
    /// <param name="values">The values.</param>
    /// <returns>The attribute.</returns>
    public static OnnxAttribute Ints(string name, long[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return new(a);
    }

    /// <summary>A string attribute.</summary>
    /// <param name="name">The attribute's name.</param>
    /// <param name="value">The value.</param>
    /// <returns>The attribute.</returns>
    public static OnnxAttribute String(string name, string value) =>
        new(new AttributeProto { Name = name, S = Google.Protobuf.ByteString.CopyFromUtf8(value), Type = AttributeProto.Types.AttributeType.String });
}
