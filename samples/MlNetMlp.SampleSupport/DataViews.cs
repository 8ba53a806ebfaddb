using System;
using Microsoft.ML;

namespace MlNetMlp.SampleSupport;

/// <summary>Small conveniences for ML.NET data views.</summary>
public static class DataViews
{
    /// <summary>
    /// The number of rows: the view's own count when it knows it, otherwise counted with a cursor that reads no
    /// columns (views from TrainTestSplit or filters do not know their count up front).
    /// </summary>
    public static long CountRows(IDataView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        if (view.GetRowCount() is long known)
        {
            return known;
        }

        long count = 0;
        using DataViewRowCursor cursor = view.GetRowCursor([]);
        while (cursor.MoveNext())
        {
            count++;
        }

        return count;
    }
}
