using System;
using System.Collections.Generic;
using ConvNet.Layers;
using ConvNet.Onnx.Proto;

namespace ConvNet.Onnx.Import;

/// <summary>
/// Maps the ONNX DAG onto ConvNet's containers: a chain of single-input nodes becomes consecutive layers; a tensor read
/// by several nodes (a fork) is followed to the node where all its paths meet again (its immediate post-dominator),
/// which must be an Add (→ <see cref="Residual"/>, or <see cref="Layers.Add"/> for more than two branches) or a Concat on
/// the channel axis (→ <see cref="Layers.Concat"/>); each branch is mapped the same way, recursively. Every node is
/// converted at most once; a graph that cannot be cut this way gives <see cref="NotSupportedException"/> naming the node.
/// </summary>
internal sealed partial class GraphMapper
{
    private readonly OnnxGraph _g;
    private readonly OnnxImportOptions _options;
    private readonly ShapeEvaluator _shapes;
    private readonly Dictionary<string, int[]> _shape = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<int>> _reach = new(StringComparer.Ordinal);
    private readonly HashSet<NodeProto> _converted = new(ReferenceEqualityComparer.Instance);
    private int _depth;

    public GraphMapper(OnnxGraph graph, OnnxImportOptions options)
    {
        _g = graph;
        _options = options;
        _shapes = new ShapeEvaluator(graph, t => _shape.TryGetValue(t, out var s) ? s : null);
        _shape[graph.Input.Name] = graph.InputShape;
    }

    public List<string> Notes { get; } = [];

    public List<Layer> Map() => Chain(_g.Input.Name, _g.OutputName);

    private List<Layer> Chain(string from, string to)
    {
        if (++_depth > 64)
        {
            throw new NotSupportedException($"{_g.Source}: the graph nests branches more than 64 deep.");
        }

        var layers = new List<Layer>();
        string current = from;
        while (current != to)
        {
            var uses = Uses(current, to);
            if (uses.Count == 0)
            {
                throw new NotSupportedException($"{_g.Source}: cannot follow tensor '{current}' to '{to}' (no node that leads there reads it).");
            }

            if (_pendingPads is not null && (uses.Count != 1 || uses[0].OpType is not ("Conv" or "AveragePool")))
            {
                throw new NotSupportedException($"{_g.Source}: Pad node '{_pendingPadNode}' pads by a non-zero amount and is not followed by only a Conv or AveragePool it could merge into; a standalone Pad is not supported.");
            }

            current = uses.Count == 1 && DataInputs(uses[0]).Count == 1
                ? Convert(uses[0], current, to, layers)
                : Merge(FindJoin(current, to), current, layers);
        }

        _depth--;
        return layers;
    }

    /// <summary>The nodes reading <paramref name="tensor"/> as data on the way to <paramref name="to"/>.</summary>
    private List<NodeProto> Uses(string tensor, string to)
    {
        var reach = Reaching(to);
        var result = new List<NodeProto>();
        foreach (int c in _g.Consumers(tensor))
        {
            var n = _g.Nodes[c];
            if (reach.Contains(c) && DataInputs(n).Contains(tensor))
            {
                result.Add(n);
            }
        }

        return result;
    }

    /// <summary>The inputs that carry data (not constants, not shape computations), in order.</summary>
    private List<string> DataInputs(NodeProto node)
    {
        var r = new List<string>();
        foreach (var i in node.Input)
        {
            if (!_g.IsConstant(i) && !_g.IsShapeTensor(i))
            {
                r.Add(i);
            }
        }

        return r;
    }

    /// <summary>The nodes from which <paramref name="target"/> can be reached through data inputs (its producer included).</summary>
    private HashSet<int> Reaching(string target)
    {
        if (_reach.TryGetValue(target, out var known))
        {
            return known;
        }

        var set = new HashSet<int>();
        var stack = new Stack<string>();
        stack.Push(target);
        while (stack.Count > 0)
        {
            int p = _g.ProducerIndex(stack.Pop());
            if (p >= 0 && set.Add(p))
            {
                foreach (var i in DataInputs(_g.Nodes[p]))
                {
                    stack.Push(i);
                }
            }
        }

        _reach[target] = set;
        return set;
    }

    /// <summary>The first node (in topological order) after which every path from the fork has merged into one tensor.</summary>
    private NodeProto FindJoin(string fork, string to)
    {
        var frontier = new HashSet<string>(StringComparer.Ordinal) { fork };
        var processed = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        while (processed.Count <= _g.Nodes.Count)
        {
            NodeProto? next = null;
            foreach (var t in frontier)
            {
                foreach (var n in Uses(t, to))
                {
                    if (!processed.Contains(n) && (next is null || Order(n) < Order(next)))
                    {
                        next = n;
                    }
                }
            }

            if (next is null)
            {
                throw new NotSupportedException($"{_g.Source}: the branches that start at '{fork}' do not merge before '{to}'.");
            }

            processed.Add(next);
            foreach (var i in DataInputs(next))
            {
                if (!frontier.Contains(i))
                {
                    throw new NotSupportedException($"{_g.Source}: node '{next.Name}' ({next.OpType}) mixes the branches of '{fork}' with tensor '{i}' from elsewhere; the graph is not a nest of chains, residual and concat blocks.");
                }
            }

            foreach (var i in DataInputs(next))
            {
                if (Uses(i, to).TrueForAll(processed.Contains))
                {
                    frontier.Remove(i);
                }
            }

            frontier.Add(next.Output[0]);
            if (frontier.Count == 1)
            {
                return next;
            }
        }

        throw new NotSupportedException($"{_g.Source}: the branches that start at '{fork}' do not merge.");
    }

    private int Order(NodeProto n) => _g.Order[_g.ProducerIndex(n.Output[0])];

    /// <summary>Maps the branches from the fork into the join's block and appends it.</summary>
    private string Merge(NodeProto join, string fork, List<Layer> layers)
    {
        MarkConverted(join);
        var branches = new List<Layer>();
        foreach (var input in DataInputs(join))
        {
            if (input == fork)
            {
                branches.Add(new Identity());
            }
            else
            {
                var chain = Chain(fork, input);
                branches.Add(chain.Count == 1 ? chain[0] : new Sequential(chain));
            }
        }

        if (DataInputs(join).Count != join.Input.Count)
        {
            throw new NotSupportedException($"{_g.Source}: {join.OpType} node '{join.Name}' also reads a constant; only merges of branches are supported.");
        }

        Layer block;
        switch (join.OpType)
        {
            case "Add" when branches.Count == 2:
                block = branches[0] is Identity ? new Residual(branches[1]) : branches[1] is Identity ? new Residual(branches[0]) : new Residual(branches[0], branches[1]);
                break;
            case "Add":
                block = new Layers.Add(branches);
                break;
            case "Concat":
                long axis = OnnxAttributes.Int(join, "axis", 1);
                if (axis != 1 && axis != 1 - (_shape[fork].Length + 1))
                {
                    throw new NotSupportedException($"{_g.Source}: Concat node '{join.Name}' joins along axis {axis}; only the channel axis 1 is supported (opset {_g.Opset}).");
                }

                block = new Layers.Concat(branches);
                break;
            default:
                throw new NotSupportedException($"{_g.Source}: {join.OpType} node '{join.Name}' merges branches; only Add and Concat can (opset {_g.Opset}).");
        }

        return Append(join, block, fork, layers);
    }

    /// <summary>Appends a layer for the node, infers its output shape and records it for the node's output.</summary>
    private string Append(NodeProto node, Layer layer, string input, List<Layer> layers, string? output = null)
    {
        layer.Name = string.IsNullOrEmpty(node.Name) ? node.OpType : node.Name;
        int[] shape;
        try
        {
            shape = layer.GetOutputShape(_shape[input]);
        }
        catch (ArgumentException e)
        {
            throw new NotSupportedException($"{_g.Source}: {node.OpType} node '{node.Name}' does not fit its input {ThrowHelperShape(_shape[input])}: {e.Message}", e);
        }

        layers.Add(layer);
        output ??= node.Output[0];
        _shape[output] = shape;
        return output;
    }

    /// <summary>Passes the input through without a layer (Identity, Dropout, an all-zero Pad).</summary>
    private string Skip(NodeProto node, string input, string? output = null)
    {
        output ??= node.Output[0];
        _shape[output] = _shape[input];
        return output;
    }

    private void MarkConverted(NodeProto node)
    {
        if (!_converted.Add(node))
        {
            throw new NotSupportedException($"{_g.Source}: node '{node.Name}' ({node.OpType}) lies on several branches at once; the graph cannot be mapped onto chains, residual and concat blocks.");
        }

        for (int o = 1; o < node.Output.Count; o++)
        {
            if (node.Output[o].Length > 0 && (_g.Consumers(node.Output[o]).Count > 0 || node.Output[o] == _g.OutputName))
            {
                throw new NotSupportedException($"{_g.Source}: {node.OpType} node '{node.Name}' output {o} ('{node.Output[o]}') is used; only the first output is supported (opset {_g.Opset}).");
            }
        }
    }

    private static string ThrowHelperShape(ReadOnlySpan<int> s) => "[" + string.Join(", ", s.ToArray()) + "]";
}
