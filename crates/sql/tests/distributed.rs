//! smoke
use sql::distributed::DistConfig;
use sql::Session;

#[test]
fn smoke() {
    let mut s = Session::new();
    s.execute("CREATE TABLE t (a BIGINT, b TEXT, d DOUBLE); INSERT INTO t VALUES (1,'x',1.5),(2,'y',2.0),(1,'z',NULL),(3,NULL,4.0),(2,'x',0.5)").unwrap();
    s.execute(
        "CREATE TABLE u (a BIGINT, c TEXT); INSERT INTO u VALUES (1,'one'),(2,'two'),(4,'four')",
    )
    .unwrap();
    for q in [
        "SELECT a, count(*), avg(d), sum(d), max(b) FROM t GROUP BY a ORDER BY a",
        "SELECT * FROM t JOIN u ON t.a = u.a ORDER BY 1,2",
        "SELECT * FROM t LEFT JOIN u ON t.a = u.a WHERE d > 1",
        "SELECT b, row_number() OVER (PARTITION BY a ORDER BY d) FROM t",
        "SELECT DISTINCT a FROM t",
        "SELECT a FROM t UNION SELECT a FROM u",
        "SELECT a FROM t ORDER BY a DESC LIMIT 2",
        "SELECT count(DISTINCT a) FROM t",
    ] {
        for aqe in [false, true] {
            let mut c = DistConfig::spark_defaults(3);
            c.aqe = aqe;
            let run = s.run_distributed(q, &c).unwrap();
            println!("{q}\n{}", run.explain);
            println!("{:?}", run.table.to_rows());
            for st in &run.stages {
                println!(
                    "{} {:?} {:?} {:?} tasks={}",
                    st.id,
                    st.parents,
                    st.operators,
                    st.output,
                    st.tasks.len()
                );
            }
            let single = match s.execute(q).unwrap().pop().unwrap() {
                sql::Outcome::Rows(r) => r.table,
                _ => panic!(),
            };
            println!("single {:?}", single.to_rows());
        }
    }
    println!(
        "{}",
        s.explain_distributed(
            "SELECT a, count(*) FROM t GROUP BY a",
            &DistConfig::spark_defaults(4)
        )
        .unwrap()
    );
}
