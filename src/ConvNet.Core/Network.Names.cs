using System;
using System.Collections.Generic;
using System.Globalization;
using ConvNet.Layers;

namespace ConvNet;

// Unique dotted names of every parameter and state buffer (e.g. blocks.2.conv1.weight), duplicates rejected.
public sealed partial class Network
{
    /// <summary>
    /// Every parameter with its unique dotted name, as PyTorch's <c>named_parameters()</c>: <c>layers.{i}.weight</c> for
    /// a layer of the network, <c>layers.{i}.{child key}.….weight</c> inside blocks (e.g. <c>layers.3.0.body.0.weight</c>).
    /// </summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> NamedParameters
    {
        get
        {
            EnsureNames();
            return _named!.Value.Parameters;
        }
    }

    /// <summary>Every state buffer (e.g. BatchNorm's running statistics) with its unique dotted name.</summary>
    public IReadOnlyList<(string Name, StateBuffer Buffer)> NamedBuffers
    {
        get
        {
            EnsureNames();
            return _named!.Value.Buffers;
        }
    }

    private void EnsureNames()
    {
        lock (_sync)
        {
            if (_named is not null)
            {
                return;
            }

            var parameters = new List<(string, Parameter)>();
            var buffers = new List<(string, StateBuffer)>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < _layers.Count; i++)
            {
                Name(_layers[i], "layers." + i.ToString(CultureInfo.InvariantCulture), parameters, buffers, seen);
            }

            _named = (parameters, buffers);
        }
    }

    private static void Name(Layer layer, string prefix, List<(string, Parameter)> parameters, List<(string, StateBuffer)> buffers, HashSet<string> seen)
    {
        // A block's own parameters are those its children do not list; each gets prefix.name, children prefix.key.….
        var fromChildren = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (var c in layer.Children)
        {
            foreach (var p in c.Parameters)
            {
                fromChildren.Add(p);
            }

            foreach (var b in c.Buffers)
            {
                fromChildren.Add(b);
            }
        }

        foreach (var p in layer.Parameters)
        {
            if (!fromChildren.Contains(p))
            {
                Unique(prefix + "." + p.Name, seen, layer);
                parameters.Add((prefix + "." + p.Name, p));
            }
        }

        foreach (var b in layer.Buffers)
        {
            if (!fromChildren.Contains(b))
            {
                Unique(prefix + "." + b.Name, seen, layer);
                buffers.Add((prefix + "." + b.Name, b));
            }
        }

        for (int j = 0; j < layer.Children.Count; j++)
        {
            string key = layer is Block block ? block.ChildKey(j) : j.ToString(CultureInfo.InvariantCulture);
            Name(layer.Children[j], prefix + "." + key, parameters, buffers, seen);
        }
    }

    private static void Unique(string name, HashSet<string> seen, Layer layer)
    {
        if (!seen.Add(name))
        {
            ThrowHelper.InvalidOperation($"Two parameters or buffers of {layer.Describe()} are both named '{name}'; names must be unique.");
        }
    }
}
