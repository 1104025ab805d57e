using System.IO;
using System.Text;
using ConvNet.Onnx.Proto;

namespace ConvNet.Onnx.Import;

/// <summary>Typed reads of a node's attributes with defaults.</summary>
internal static class OnnxAttributes
{
    public static bool Has(NodeProto node, string name) => Find(node, name) is not null;

    public static long Int(NodeProto node, string name, long fallback) => Find(node, name) is { } a ? a.I : fallback;

    public static float Float(NodeProto node, string name, float fallback) => Find(node, name) is { } a ? a.F : fallback;

    public static string String(NodeProto node, string name, string fallback) => Find(node, name) is { } a ? Encoding.UTF8.GetString(a.S.Span) : fallback;

    public static long[]? Ints(NodeProto node, string name) => Find(node, name) is { } a ? [.. a.Ints] : null;

    /// <summary>The ints as int, each in [min, max], or InvalidDataException naming the node.</summary>
    public static int[]? IntsInRange(NodeProto node, string name, int min, int max, string source)
    {
        var v = Ints(node, name);
        if (v is null)
        {
            return null;
        }

        if (v.Length > 16)
        {
            throw new InvalidDataException($"{source}: node '{node.Name}' attribute {name} has {v.Length} values.");
        }

        var r = new int[v.Length];
        for (int i = 0; i < v.Length; i++)
        {
            if (v[i] < min || v[i] > max)
            {
                throw new InvalidDataException($"{source}: node '{node.Name}' ({node.OpType}) attribute {name} value {v[i]} is out of range [{min}, {max}].");
            }

            r[i] = (int)v[i];
        }

        return r;
    }

    private static AttributeProto? Find(NodeProto node, string name)
    {
        foreach (var a in node.Attribute)
        {
            if (a.Name == name)
            {
                return a;
            }
        }

        return null;
    }
}
